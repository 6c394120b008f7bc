using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Lshk.Tests.Export;

/// <summary>Runs an exported .onnx file in ONNX Runtime (CPU) on a batch of images and returns every output.</summary>
internal static class OnnxRuntimeRunner
{
    public sealed record Outputs(IReadOnlyDictionary<string, float[]> Floats, IReadOnlyDictionary<string, byte[]> Bytes, IReadOnlyDictionary<string, long[]> Shapes);

    public static Outputs Run(string onnxPath, float[] images, int count, int channels, int size)
    {
        // One thread: the images are few, and the tests share the machine with the rest of the suite.
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        using var session = new InferenceSession(onnxPath, options);
        using var input = OrtValue.CreateTensorValueFromMemory(images, [count, channels, size, size]);
        var names = session.OutputNames.ToArray();
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, [session.InputNames.Single()], [input], names);
        var floats = new Dictionary<string, float[]>();
        var bytes = new Dictionary<string, byte[]>();
        var shapes = new Dictionary<string, long[]>();
        for (int i = 0; i < names.Length; i++)
        {
            var info = results[i].GetTensorTypeAndShape();
            shapes[names[i]] = info.Shape;
            if (info.ElementDataType == TensorElementType.Float) floats[names[i]] = results[i].GetTensorDataAsSpan<float>().ToArray();
            else if (info.ElementDataType == TensorElementType.UInt8) bytes[names[i]] = results[i].GetTensorDataAsSpan<byte>().ToArray();
            else throw new InvalidOperationException($"output {names[i]} is {info.ElementDataType}");
        }
        return new Outputs(floats, bytes, shapes);
    }
}
