using Lshk.Kernels.Nn.Gpu;

namespace Lshk.Kernels.Gpu;

/// <summary>The neural-net kernels (see <see cref="IlgpuNnOps"/>), in the single registry the PTX check compiles.</summary>
internal static partial class KernelRegistry
{
    public static readonly Action<ConvArgs> ConvForward = ConvKernels.Forward;
    public static readonly Action<ConvArgs> ConvBackwardData = ConvKernels.BackwardData;
    public static readonly Action<ConvGradArgs> ConvWeightPartials = ConvKernels.WeightPartials;
    public static readonly Action<ConvGradArgs> ConvBiasPartials = ConvKernels.BiasPartials;
    public static readonly Action<ReduceArgs> ReducePartials = ConvKernels.ReducePartials;
    public static readonly Action<PlaneSumsArgs> NormStatisticsPartials = NormKernels.StatisticsPartials;
    public static readonly Action<ChannelArgs> NormStatisticsFinish = NormKernels.StatisticsFinish;
    public static readonly Action<ChannelArgs> NormSavedScaleShift = NormKernels.SavedScaleShift;
    public static readonly Action<ChannelArgs> NormInferenceScaleShift = NormKernels.InferenceScaleShift;
    public static readonly Action<ChannelMapArgs> NormApply = NormKernels.Apply;
    public static readonly Action<PlaneSumsArgs> NormGradientPartials = NormKernels.GradientPartials;
    public static readonly Action<ChannelArgs> NormGradientFinish = NormKernels.GradientFinish;
    public static readonly Action<ChannelMapArgs> NormBackwardApply = NormKernels.BackwardApply;
    public static readonly Action<PoolArgs> PoolForward = PoolKernels.Forward;
    public static readonly Action<PoolArgs> PoolFusedPartials = PoolKernels.FusedPartials;
    public static readonly Action<PoolArgs> PoolBackward = PoolKernels.Backward;
    public static readonly Action<AveragePoolArgs> AveragePoolForward = AveragePoolKernels.Forward;
    public static readonly Action<AveragePoolArgs> AveragePoolBackward = AveragePoolKernels.Backward;
    public static readonly Action<ElementwiseArgs> Fill = ElementwiseKernels.Fill;
    public static readonly Action<ElementwiseArgs> ReluForward = ElementwiseKernels.ReluForward;
    public static readonly Action<ElementwiseArgs> ReluBackward = ElementwiseKernels.ReluBackward;
    public static readonly Action<DropoutArgs> Dropout = ElementwiseKernels.Dropout;
    public static readonly Action<OptimiserArgs> Adam = OptimiserKernels.Adam;
    public static readonly Action<OptimiserArgs> Sgd = OptimiserKernels.Sgd;
    public static readonly Action<LossArgs> LossPrototypes = LossKernels.Prototypes;
    public static readonly Action<LossArgs> LossScores = LossKernels.Scores;
    public static readonly Action<LossArgs> LossQueryGradient = LossKernels.QueryGradient;
    public static readonly Action<LossArgs> LossSupportGradient = LossKernels.SupportGradient;
    public static readonly Action<CosineLossArgs> CosineLossNormalise = CosineLossKernels.Normalise;
    public static readonly Action<CosineLossArgs> CosineLossScores = CosineLossKernels.Scores;
    public static readonly Action<CosineLossArgs> CosineLossNormalGradient = CosineLossKernels.NormalGradient;
    public static readonly Action<CosineLossArgs> CosineLossProject = CosineLossKernels.Project;
    public static readonly Action<HashLayerArgs> HashLayerForward = HashLayerKernels.Forward;
    public static readonly Action<HashLayerArgs> HashLayerPenaltyStats = HashLayerKernels.PenaltyStats;
    public static readonly Action<HashLayerArgs> HashLayerPenaltyGradient = HashLayerKernels.PenaltyGradient;
    public static readonly Action<HashLayerArgs> HashLayerPreActivationGradient = HashLayerKernels.PreActivationGradient;
    public static readonly Action<HashLayerArgs> HashLayerInputGradient = HashLayerKernels.InputGradient;
    public static readonly Action<HashLayerArgs> HashLayerParameterGradients = HashLayerKernels.ParameterGradients;
    public static readonly Action<HashLayerArgs> HashLayerProjections = HashLayerKernels.Projections;
    public static readonly Action<HashLayerArgs> HashLayerProjectionRms = HashLayerKernels.ProjectionRms;
    public static readonly Action<HashLayerArgs> HashLayerNormalisedCodes = HashLayerKernels.NormalisedCodes;
    public static readonly Action<HashLayerArgs> HashLayerNormalisationStats = HashLayerKernels.NormalisationStats;
    public static readonly Action<HashLayerArgs> HashLayerNormalisationGradient = HashLayerKernels.NormalisationGradient;
    public static readonly Action<HashSignArgs> HashLayerSignRows = HashLayerKernels.SignRows;
    public static readonly Action<HashDecorrelationArgs> HashLayerDecorrelationMoments = HashLayerKernels.DecorrelationMoments;
    public static readonly Action<HashDecorrelationArgs> HashLayerDecorrelationGradient = HashLayerKernels.DecorrelationGradient;
    public static readonly Action<LshSigmoidArgs> LshSigmoidProject = LshSigmoidLossKernels.Project;
    public static readonly Action<LshSigmoidArgs> LshSigmoidLogits = LshSigmoidLossKernels.Logits;
    public static readonly Action<LshSigmoidArgs> LshSigmoidSoftmax = LshSigmoidLossKernels.Softmax;
    public static readonly Action<LshSigmoidArgs> LshSigmoidQueryGradient = LshSigmoidLossKernels.QueryGradient;
    public static readonly Action<LshSigmoidArgs> LshSigmoidSupportGradient = LshSigmoidLossKernels.SupportGradient;
    public static readonly Action<LshSigmoidArgs> LshSigmoidInputGradient = LshSigmoidLossKernels.InputGradient;
    public static readonly Action<LshSigmoidArgs> LshSigmoidPlaneGradients = LshSigmoidLossKernels.PlaneGradients;
}
