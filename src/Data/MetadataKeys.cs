namespace Lshk.Data;

/// <summary>
/// Every <c>lshk.*</c> metadata key that lshk writes into model and checkpoint files besides the network's own
/// architecture keys (those belong to Nn's model file): how images were prepared, which dataset trained the model,
/// the training settings, and a checkpoint's progress. Readers and writers use these names, never string literals.
/// </summary>
public static class MetadataKeys
{
    /// <summary>The dataset the model was trained on, as NAME or NAME:PATH.</summary>
    public const string Data = "lshk.data";

    public static class Preprocess
    {
        public const string Size = "lshk.preprocess.size";
        public const string Channels = "lshk.preprocess.channels";
        /// <summary>"true" when the source images are dark strokes on a light background and were inverted so ink = 1.</summary>
        public const string Invert = "lshk.preprocess.invert";
        public const string Mean = "lshk.preprocess.mean";
        public const string Std = "lshk.preprocess.std";
    }

    /// <summary>Hash planes stored with a model (tensors hash.weight and hash.bias): the family that made them and its seed.</summary>
    public static class Hash
    {
        public const string Family = "lshk.hash.family";
        public const string Seed = "lshk.hash.seed";
        /// <summary>The dataset and classes the planes were fitted to (a description, for people).</summary>
        public const string FittedOn = "lshk.hash.fitted_on";
    }

    /// <summary>A product-quantiser codebook stored with a model (tensors codebook.*): its family, seed and what it was fitted to.</summary>
    public static class Codebook
    {
        public const string Family = "lshk.codebook.family";
        public const string Seed = "lshk.codebook.seed";
        public const string FittedOn = "lshk.codebook.fitted_on";
    }

    public static class Train
    {
        public const string Loss = "lshk.train.loss";
        /// <summary>The cosine losses' scale, written only when not the default 10.</summary>
        public const string Scale = "lshk.train.scale";
        public const string Ways = "lshk.train.ways";
        public const string Shots = "lshk.train.shots";
        public const string Queries = "lshk.train.queries";
        public const string Episodes = "lshk.train.episodes";
        public const string Optimizer = "lshk.train.optimizer";
        public const string LearningRate = "lshk.train.lr";
        public const string Schedule = "lshk.train.lr_schedule";
        public const string Seed = "lshk.train.seed";
        public const string ValidationClasses = "lshk.train.validation_classes";
        /// <summary>The class split the model was trained under (<c>--split</c>), written only when one was asked for.</summary>
        public const string Split = "lshk.train.split";
        public const string ValidateEvery = "lshk.train.validate_every";
        public const string ValidationAccuracy = "lshk.train.validation_accuracy";
        /// <summary>Hash-aware training's settings (bits, code loss, penalty weights, β growth), when it was on.</summary>
        public const string HashTraining = "lshk.train.hash";
        /// <summary>The random affine distortions of the training images (<c>--augment</c>), written only when on.</summary>
        public const string Augment = "lshk.train.augment";
        /// <summary>The lsh-sigmoid loss's planes, sharpness and whether the planes were trained, when it was the loss.</summary>
        public const string LshSigmoid = "lshk.train.lsh_sigmoid";
    }

    public static class Checkpoint
    {
        public const string Version = "lshk.checkpoint.version";
        public const string Settings = "lshk.checkpoint.settings";
        public const string Episode = "lshk.checkpoint.episode";
        public const string OptimizerSteps = "lshk.checkpoint.optimizer_steps";
        public const string DropoutForwards = "lshk.checkpoint.dropout_forwards";
        public const string BestScore = "lshk.checkpoint.best_score";
        public const string BestEpisode = "lshk.checkpoint.best_episode";
        public const string TrainingSeconds = "lshk.checkpoint.training_seconds";
    }

    /// <summary>The descriptive keys of the model <c>lshk bench train</c> exports for the PyTorch comparison.</summary>
    public static class BenchExport
    {
        public const string Normalisation = "lshk.normalisation";
        public const string Dataset = "lshk.dataset";
        public const string Training = "lshk.training";
    }
}
