using Lshk.Kernels;
using Lshk.Lsh;

namespace Lshk.Tests.Lsh;

/// <summary>
/// Hash families defined outside the library, one of each kind, registered through <see cref="HashFamilies.Register"/>
/// as an extension would be. Their planes are axis-aligned, so what they hash to is known without the library.
/// </summary>
internal static class ToyHashFamilies
{
    public static readonly AxisPlanes Axis = new();
    public static readonly MeanThresholdPlanes Fitted = new();
    public static readonly ClassMeanPlanes PerEpisode = new();

    /// <summary>Registers the three (idempotent: every test that uses them calls it).</summary>
    public static void Register()
    {
        HashFamilies.Register(Axis);
        HashFamilies.Register(Fitted);
        HashFamilies.Register(PerEpisode);
    }

    /// <summary>"toy-axis": plane i is the unit vector on axis (i + seed) mod D, so bit i = x[(i + seed) mod D] ≥ 0.</summary>
    internal sealed class AxisPlanes : IRandomHashFamily
    {
        public string Name => "toy-axis";
        public IReadOnlyList<string> Aliases => ["toy-axes"];
        public HashFamilyKind Kind => HashFamilyKind.Random;
        public string Summary => "unit vectors on rotating axes (a test family)";

        public Hyperplanes Draw(int planes, int dim, ulong seed, PlaneDrawOptions options)
        {
            var normals = new float[planes * dim];
            for (int i = 0; i < planes; i++) normals[i * dim + Axis(i, dim, seed)] = 1f;
            return new Hyperplanes(this, planes, dim, normals, options.Offsets ? new float[planes] : null, seed, options.Range);
        }

        public static int Axis(int plane, int dim, ulong seed) => (int)(((ulong)plane + seed) % (ulong)dim);
    }

    /// <summary>"toy-fitted": plane i is axis i mod D with the training mean as threshold: bit i = x[i mod D] ≥ mean[i mod D].</summary>
    internal sealed class MeanThresholdPlanes : IFittedHashFamily
    {
        public string Name => "toy-fitted";
        public IReadOnlyList<string> Aliases => [];
        public HashFamilyKind Kind => HashFamilyKind.Fitted;
        public string Summary => "axes thresholded at the training mean (a test family)";

        public Hyperplanes Fit(ReadOnlySpan<float> embeddings, int dim, int planes, ulong seed)
        {
            int n = embeddings.Length / dim;
            var mean = new double[dim];
            for (int r = 0; r < n; r++)
                for (int j = 0; j < dim; j++) mean[j] += embeddings[r * dim + j] / (double)n;
            var normals = new float[planes * dim];
            var offsets = new float[planes];
            for (int i = 0; i < planes; i++)
            {
                normals[i * dim + i % dim] = 1f;
                offsets[i] = (float)-mean[i % dim];
            }
            return new Hyperplanes(this, planes, dim, normals, offsets, seed, 0);
        }
    }

    /// <summary>"toy-class-mean": one plane per class, its normal the class mean minus the support mean, through the support mean.</summary>
    internal sealed class ClassMeanPlanes : IEpisodeHashFamily
    {
        public string Name => "toy-class-mean";
        public IReadOnlyList<string> Aliases => [];
        public HashFamilyKind Kind => HashFamilyKind.PerEpisode;
        public string Summary => "one plane per class towards its mean (a test family)";

        public Hyperplanes Fit(ReadOnlySpan<float> support, int dim, ReadOnlySpan<int> labels, int classes, int planes, ulong seed)
        {
            Check.Labels(labels, classes, nameof(labels));
            int n = labels.Length;
            var all = new double[dim];
            var sums = new double[classes * dim];
            var counts = new int[classes];
            for (int r = 0; r < n; r++)
            {
                counts[labels[r]]++;
                for (int j = 0; j < dim; j++)
                {
                    all[j] += support[r * dim + j] / (double)n;
                    sums[labels[r] * dim + j] += support[r * dim + j];
                }
            }
            var normals = new float[classes * dim];
            var offsets = new float[classes];
            for (int c = 0; c < classes; c++)
            {
                double dot = 0;
                for (int j = 0; j < dim; j++)
                {
                    double w = sums[c * dim + j] / counts[c] - all[j];
                    normals[c * dim + j] = (float)w;
                    dot += w * all[j];
                }
                offsets[c] = (float)-dot;
            }
            return new Hyperplanes(this, classes, dim, normals, offsets, seed, 0);
        }
    }
}
