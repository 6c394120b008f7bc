namespace Lshk.Tests.Export;

/// <summary>
/// The tests that run ONNX Runtime share one collection, so its native sessions are made and run one at a time
/// rather than from several test classes at once (each session is also kept to one thread, see
/// <see cref="OnnxRuntimeRunner"/>): the 2-core CI machine runs the rest of the suite beside them.
/// </summary>
[CollectionDefinition(Name)]
public sealed class OnnxRuntimeCollection
{
    public const string Name = "ONNX Runtime";
}
