using Lshk.Kernels.Nn;
using static Lshk.Kernels.Tracing.TraceBytes;

namespace Lshk.Kernels.Tracing;

/// <summary>
/// Neural-net operations that record a span per call of <see cref="Inner"/>. Made by <see cref="NnOps.For"/> when the
/// backend is a <see cref="TracingComputeBackend"/>; operations added through <see cref="NnOpRegistry"/> are looked up
/// on <see cref="Inner"/> (they are not traced). ILGPU queues kernels without waiting, so on a GPU each traced call
/// waits for its kernels (<paramref name="synchronize"/>): the span then measures the work, not the launch — tracing
/// serialises the GPU, untraced runs do not.
/// Bytes: the tensors a call reads (inputs, parameters, saved statistics) and writes (outputs, gradients).
/// </summary>
public sealed class TracingNnOps(INnOps inner, TraceRecorder recorder, Action? synchronize) : INnOps
{
    private readonly string _device = inner.Device.Name;

    public INnOps Inner { get; } = inner;
    public DeviceInfo Device => Inner.Device;

    public NnBuffer Allocate(int length) => Inner.Allocate(length);
    public void Fill(NnBuffer buffer, float value) => Inner.Fill(buffer, value);

    public void Conv2dForward(in Conv2dShape shape, NnBuffer x, NnBuffer weight, NnBuffer? bias, NnBuffer y)
    {
        long start = recorder.Now();
        Inner.Conv2dForward(shape, x, weight, bias, y);
        Done("conv-forward", start, Floats(shape.InputLength + shape.WeightLength) + Of(bias), Floats(shape.OutputLength), Conv(shape));
    }

    public void Conv2dBackward(in Conv2dShape shape, NnBuffer x, NnBuffer weight, NnBuffer dy, NnBuffer? dx, NnBuffer? dWeight,
        NnBuffer? dBias)
    {
        long start = recorder.Now();
        Inner.Conv2dBackward(shape, x, weight, dy, dx, dWeight, dBias);
        Done("conv-backward", start, Floats(shape.InputLength + shape.WeightLength + shape.OutputLength),
            Of(dx) + Of(dWeight) + Of(dBias), Conv(shape));
    }

    public void BatchNormTrainingForward(in Nchw shape, NnBuffer x, NnBuffer y, in BatchNormBuffers bn, float momentum, float epsilon)
    {
        long start = recorder.Now();
        Inner.BatchNormTrainingForward(shape, x, y, bn, momentum, epsilon);
        Done("batchnorm-forward", start, Floats(shape.Length) + Statistics(shape.Channels),
            Floats(shape.Length) + Statistics(shape.Channels), Tensor(shape));
    }

    public void BatchNormInferenceForward(in Nchw shape, NnBuffer x, NnBuffer y, in BatchNormBuffers bn, float epsilon)
    {
        long start = recorder.Now();
        Inner.BatchNormInferenceForward(shape, x, y, bn, epsilon);
        Done("batchnorm-forward", start, Floats(shape.Length) + Statistics(shape.Channels), Floats(shape.Length), Tensor(shape));
    }

    public void BatchNormBackward(in Nchw shape, NnBuffer x, NnBuffer dy, NnBuffer dx, in BatchNormBuffers bn)
    {
        long start = recorder.Now();
        Inner.BatchNormBackward(shape, x, dy, dx, bn);
        Done("batchnorm-backward", start, Floats(2L * shape.Length) + Statistics(shape.Channels),
            Floats(shape.Length + 2L * shape.Channels), Tensor(shape));
    }

    public void ReluForward(NnBuffer x, NnBuffer y, int count)
    {
        long start = recorder.Now();
        Inner.ReluForward(x, y, count);
        Done("relu-forward", start, Floats(count), Floats(count), [("count", count)]);
    }

    public void ReluBackward(NnBuffer y, NnBuffer dy, NnBuffer dx, int count)
    {
        long start = recorder.Now();
        Inner.ReluBackward(y, dy, dx, count);
        Done("relu-backward", start, Floats(2L * count), Floats(count), [("count", count)]);
    }

    public void MaxPool2x2Forward(in Nchw inputShape, NnBuffer x, NnBuffer y)
    {
        long start = recorder.Now();
        Inner.MaxPool2x2Forward(inputShape, x, y);
        Done("maxpool-forward", start, Floats(inputShape.Length), Floats(inputShape.Pooled.Length), Tensor(inputShape));
    }

    public void MaxPool2x2Backward(in Nchw inputShape, NnBuffer x, NnBuffer dy, NnBuffer dx)
    {
        long start = recorder.Now();
        Inner.MaxPool2x2Backward(inputShape, x, dy, dx);
        Done("maxpool-backward", start, Floats(inputShape.Length + inputShape.Pooled.Length), Floats(inputShape.Length),
            Tensor(inputShape));
    }

    public void DropoutForward(NnBuffer x, NnBuffer y, int count, in DropoutMask mask)
    {
        long start = recorder.Now();
        Inner.DropoutForward(x, y, count, mask);
        Done("dropout-forward", start, Floats(count), Floats(count), [("count", count)]);
    }

    public void DropoutBackward(NnBuffer dy, NnBuffer dx, int count, in DropoutMask mask)
    {
        long start = recorder.Now();
        Inner.DropoutBackward(dy, dx, count, mask);
        Done("dropout-backward", start, Floats(count), Floats(count), [("count", count)]);
    }

    public void BatchNormReluPoolForward(in Nchw inputShape, NnBuffer x, NnBuffer pooled, in BatchNormBuffers bn, bool training,
        float momentum, float epsilon)
    {
        long start = recorder.Now();
        Inner.BatchNormReluPoolForward(inputShape, x, pooled, bn, training, momentum, epsilon);
        Done("batchnorm-relu-pool-forward", start, Floats(inputShape.Length) + Statistics(inputShape.Channels),
            Floats(inputShape.Pooled.Length) + (training ? Statistics(inputShape.Channels) : 0), Tensor(inputShape));
    }

    public void BatchNormReluPoolBackward(in Nchw inputShape, NnBuffer x, NnBuffer dPooled, NnBuffer dx, in BatchNormBuffers bn)
    {
        long start = recorder.Now();
        Inner.BatchNormReluPoolBackward(inputShape, x, dPooled, dx, bn);
        Done("batchnorm-relu-pool-backward", start, Floats(inputShape.Length + inputShape.Pooled.Length) + Statistics(inputShape.Channels),
            Floats(inputShape.Length + 2L * inputShape.Channels), Tensor(inputShape));
    }

    public void ConvBlockForward(in Conv2dShape conv, NnBuffer x, NnBuffer weight, NnBuffer? bias, NnBuffer convOut, NnBuffer pooled,
        in BatchNormBuffers bn, bool training, float momentum, float epsilon)
    {
        long start = recorder.Now();
        Inner.ConvBlockForward(conv, x, weight, bias, convOut, pooled, bn, training, momentum, epsilon);
        var output = conv.Output;
        Done("conv-block-forward", start, Floats(conv.InputLength + conv.WeightLength) + Of(bias) + Statistics(output.Channels),
            Floats(conv.OutputLength + output.Pooled.Length) + (training ? Statistics(output.Channels) : 0), Conv(conv));
    }

    public void ConvBlockBackward(in Conv2dShape conv, NnBuffer x, NnBuffer weight, NnBuffer? bias, NnBuffer convOut,
        NnBuffer dPooled, NnBuffer? dx, NnBuffer? dWeight, NnBuffer? dBias, in BatchNormBuffers bn)
    {
        long start = recorder.Now();
        Inner.ConvBlockBackward(conv, x, weight, bias, convOut, dPooled, dx, dWeight, dBias, bn);
        var output = conv.Output;
        Done("conv-block-backward", start,
            Floats(conv.InputLength + conv.WeightLength + conv.OutputLength + output.Pooled.Length) + Statistics(output.Channels),
            Of(dx) + Of(dWeight) + Of(dBias) + Floats(2L * output.Channels), Conv(conv));
    }

    public void AdamUpdate(NnBuffer parameter, NnBuffer gradient, NnBuffer firstMoment, NnBuffer secondMoment, int count, in AdamStep step)
    {
        long start = recorder.Now();
        Inner.AdamUpdate(parameter, gradient, firstMoment, secondMoment, count, step);
        // Reads parameter, gradient and both moments; writes parameter and both moments.
        Done("adam", start, Floats(4L * count), Floats(3L * count), [("count", count)]);
    }

    public void SgdUpdate(NnBuffer parameter, NnBuffer gradient, NnBuffer velocity, int count, in SgdStep step)
    {
        long start = recorder.Now();
        Inner.SgdUpdate(parameter, gradient, velocity, count, step);
        Done("sgd", start, Floats(3L * count), Floats(2L * count), [("count", count)]);
    }

    public (float Loss, float Accuracy) PrototypicalLoss(NnBuffer embeddings, in EpisodeShape episode, NnBuffer dEmbeddings)
    {
        long start = recorder.Now();
        var result = Inner.PrototypicalLoss(embeddings, episode, dEmbeddings);
        Loss("prototypical-loss", start, episode);
        return result;
    }

    public (float Loss, float Accuracy) MatchingLoss(NnBuffer embeddings, in EpisodeShape episode, float scale, NnBuffer dEmbeddings)
    {
        long start = recorder.Now();
        var result = Inner.MatchingLoss(embeddings, episode, scale, dEmbeddings);
        Loss("matching-loss", start, episode);
        return result;
    }

    public (float Loss, float Accuracy) CosineMeanLoss(NnBuffer embeddings, in EpisodeShape episode, float scale, NnBuffer dEmbeddings,
        float margin = 0f)
    {
        long start = recorder.Now();
        var result = Inner.CosineMeanLoss(embeddings, episode, scale, dEmbeddings, margin);
        Loss("cosine-mean-loss", start, episode);
        return result;
    }

    public void Dispose() => Inner.Dispose();

    /// <summary>An episode loss reads the batch's embeddings and writes their gradients (plus the loss and accuracy).</summary>
    private void Loss(string name, long start, in EpisodeShape episode)
    {
        long values = (long)episode.Batch * episode.Dim;
        Done(name, start, Floats(values), Floats(values + 2),
            [("ways", episode.Ways), ("shots", episode.Shots), ("queries", episode.Queries), ("dim", episode.Dim)]);
    }

    private void Done(string name, long start, long read, long written, (string, long)[] shape)
    {
        synchronize?.Invoke();
        recorder.End(name, _device, start, read, written, shape);
    }

    private static (string, long)[] Conv(in Conv2dShape s) =>
        [("batch", s.Batch), ("in", s.InChannels), ("out", s.OutChannels), ("height", s.Height), ("width", s.Width), ("kernel", s.Kernel)];

    private static (string, long)[] Tensor(in Nchw s) =>
        [("batch", s.Batch), ("channels", s.Channels), ("height", s.Height), ("width", s.Width)];
}
