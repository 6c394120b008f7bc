namespace Lshk.Kernels.Nn;

/// <summary>
/// The neural-net operations (forward and backward side by side), implemented twice: <see cref="Cpu.CpuNnOps"/>
/// (managed SIMD over a pool of worker threads) and <see cref="Gpu.IlgpuNnOps"/> (hand-written ILGPU kernels).
/// Obtain one with <see cref="NnOps.For"/>. Tensors are NCHW float32 in <see cref="NnBuffer"/>s made by the same
/// object. Calls are not thread-safe: one caller at a time.
///
/// Gradient outputs of parameters (dWeight, dBias, batch-norm γ/β gradients) are <b>accumulated</b> (+=), so a
/// caller zeroes them once per optimiser step; gradient outputs of activations (dx) are overwritten.
/// </summary>
public interface INnOps : IDisposable
{
    DeviceInfo Device { get; }

    /// <summary>A zero-filled buffer of <paramref name="length"/> floats.</summary>
    NnBuffer Allocate(int length);

    void Fill(NnBuffer buffer, float value);

    // ------------------------------------------------------------------ convolution

    /// <summary>y = conv(x, weight) + bias (bias may be null), cross-correlation like PyTorch.</summary>
    void Conv2dForward(in Conv2dShape shape, NnBuffer x, NnBuffer weight, NnBuffer? bias, NnBuffer y);

    /// <summary>
    /// Given dL/dy: dx = dL/dx (skipped when null, e.g. for the network input), dWeight += dL/dW and
    /// dBias += dL/db (each skipped when null).
    /// </summary>
    void Conv2dBackward(in Conv2dShape shape, NnBuffer x, NnBuffer weight, NnBuffer dy, NnBuffer? dx, NnBuffer? dWeight,
        NnBuffer? dBias);

    // ------------------------------------------------------------------ batch norm

    /// <summary>
    /// Training mode: normalises with the batch's mean and biased variance, saves the mean and 1/√(var+ε) for the
    /// backward, and updates the running statistics: running ← (1−momentum)·running + momentum·batch (the running
    /// variance takes the unbiased batch variance), as PyTorch.
    /// </summary>
    void BatchNormTrainingForward(in Nchw shape, NnBuffer x, NnBuffer y, in BatchNormBuffers bn, float momentum, float epsilon);

    /// <summary>Evaluation mode: normalises with the running statistics.</summary>
    void BatchNormInferenceForward(in Nchw shape, NnBuffer x, NnBuffer y, in BatchNormBuffers bn, float epsilon);

    /// <summary>Backward of the training-mode forward (through the batch statistics), using the saved statistics.</summary>
    void BatchNormBackward(in Nchw shape, NnBuffer x, NnBuffer dy, NnBuffer dx, in BatchNormBuffers bn);

    // ------------------------------------------------------------------ activations, pooling, dropout

    void ReluForward(NnBuffer x, NnBuffer y, int count);

    /// <summary>dx = dy where y &gt; 0, else 0 (y is the forward's output).</summary>
    void ReluBackward(NnBuffer y, NnBuffer dy, NnBuffer dx, int count);

    /// <summary>2×2 max-pooling with stride 2, odd rows/columns dropped (PyTorch's floor mode).</summary>
    void MaxPool2x2Forward(in Nchw inputShape, NnBuffer x, NnBuffer y);

    /// <summary>
    /// Routes each window's gradient to its maximum, recomputed from x; ties go to the first maximum in row-major
    /// window order, as PyTorch. Inputs outside every window get 0.
    /// </summary>
    void MaxPool2x2Backward(in Nchw inputShape, NnBuffer x, NnBuffer dy, NnBuffer dx);

    /// <summary>Inverted dropout: y = x·(1/keep) where the mask keeps, else 0.</summary>
    void DropoutForward(NnBuffer x, NnBuffer y, int count, in DropoutMask mask);

    void DropoutBackward(NnBuffer dy, NnBuffer dx, int count, in DropoutMask mask);

    // ------------------------------------------------------------------ fused batch norm + ReLU + 2×2 max-pool

    /// <summary>
    /// pooled = maxpool2x2(relu(batchnorm(x))) in one pass over x after the statistics, without storing the
    /// normalised or rectified tensors. Training mode saves and updates statistics as <see cref="BatchNormTrainingForward"/>.
    /// </summary>
    void BatchNormReluPoolForward(in Nchw inputShape, NnBuffer x, NnBuffer pooled, in BatchNormBuffers bn, bool training,
        float momentum, float epsilon);

    /// <summary>Backward of the training-mode fused forward: equal to pool, ReLU and batch-norm backward in turn.</summary>
    void BatchNormReluPoolBackward(in Nchw inputShape, NnBuffer x, NnBuffer dPooled, NnBuffer dx, in BatchNormBuffers bn);

    // ------------------------------------------------------------------ fused conv block

    /// <summary>
    /// One block of the embedding network: convOut = conv(x) (+ bias), then pooled = maxpool2x2(relu(batchnorm(convOut))),
    /// equal to <see cref="Conv2dForward"/> followed by <see cref="BatchNormReluPoolForward"/>. The CPU takes the batch
    /// statistics while the convolution's outputs are still in cache. convOut is the backward's: an implementation may
    /// leave it unwritten and recompute a cheap convolution's output from x, weight and bias where it is needed (the
    /// CPU does so for up to 27 taps, Conv-4's first block), so only pooled is this call's result.
    /// </summary>
    void ConvBlockForward(in Conv2dShape conv, NnBuffer x, NnBuffer weight, NnBuffer? bias, NnBuffer convOut, NnBuffer pooled,
        in BatchNormBuffers bn, bool training, float momentum, float epsilon);

    /// <summary>
    /// Backward of the training-mode <see cref="ConvBlockForward"/>: equal to <see cref="BatchNormReluPoolBackward"/>
    /// followed by <see cref="Conv2dBackward"/>. The CPU computes the convolution's output gradient image by image in
    /// cache instead of writing the whole tensor, and may recompute a cheap convolution's output from x, weight and
    /// bias (the forward's) instead of reading convOut.
    /// </summary>
    void ConvBlockBackward(in Conv2dShape conv, NnBuffer x, NnBuffer weight, NnBuffer? bias, NnBuffer convOut, NnBuffer dPooled, NnBuffer? dx,
        NnBuffer? dWeight, NnBuffer? dBias, in BatchNormBuffers bn);

    // ------------------------------------------------------------------ optimisers

    void AdamUpdate(NnBuffer parameter, NnBuffer gradient, NnBuffer firstMoment, NnBuffer secondMoment, int count,
        in AdamStep step);

    void SgdUpdate(NnBuffer parameter, NnBuffer gradient, NnBuffer velocity, int count, in SgdStep step);

    // ------------------------------------------------------------------ loss

    /// <summary>
    /// Prototypical-network loss of one episode: prototypes are the class means of the supports' embeddings; each
    /// query's logits are −‖query − prototype‖²; the loss is the mean cross-entropy over queries. Writes
    /// dL/dembeddings (supports and queries) and returns the loss and the queries' accuracy (ties to the lower class).
    /// </summary>
    (float Loss, float Accuracy) PrototypicalLoss(NnBuffer embeddings, in EpisodeShape episode, NnBuffer dEmbeddings);

    /// <summary>
    /// Matching-network loss of one episode (fixed scale, no learned parameter): each query's logits over the
    /// supports are scale·cos(query, support); the softmax over supports gives each class the summed probability of
    /// its supports; the loss is the mean over queries of −log p(true class). Cosines use
    /// ‖e‖ = √(Σe² + <see cref="CosineLoss.NormEpsilon"/>), so a zero embedding has cosine 0 and a finite gradient.
    /// Writes dL/dembeddings and returns the loss and the queries' accuracy (argmax class, ties to the lower class).
    /// </summary>
    (float Loss, float Accuracy) MatchingLoss(NnBuffer embeddings, in EpisodeShape episode, float scale, NnBuffer dEmbeddings);

    /// <summary>
    /// Cosine-mean loss of one episode: each query's class logit is scale × the mean cosine between the query and the
    /// class's supports (norms with the same ε as <see cref="MatchingLoss"/>); the loss is the mean softmax
    /// cross-entropy over queries. Writes dL/dembeddings and returns the loss and the queries' accuracy. With a
    /// <paramref name="margin"/> m &gt; 0 the loss sees the true class's logit as scale × (mean cosine − m) (an additive
    /// cosine margin, as CosFace/AM-softmax): a query counts as learnt only once its class leads every other by m in
    /// cosine. The accuracy is of the plain logits.
    /// </summary>
    (float Loss, float Accuracy) CosineMeanLoss(NnBuffer embeddings, in EpisodeShape episode, float scale, NnBuffer dEmbeddings,
        float margin = 0f);
}
