using Lshk.Data.Imaging;

namespace Lshk.Data;

/// <summary>Dataset-level augmentation.</summary>
public static class Augmentation
{
    public static readonly int[] QuarterTurns = [0, 1, 2, 3];

    /// <summary>
    /// Every class again rotated by 90°, 180° and 270° as new classes (the standard Omniglot training protocol):
    /// 4 × the classes and images. Class r·C + c is class c rotated by r × 90° counter-clockwise (so the first C
    /// classes are the originals), named <c>name/rot90</c> etc., in the same group as the original. Images must be square.
    /// </summary>
    public static Dataset WithRotations(Dataset data)
    {
        if (data.Height != data.Width) throw new Lshk.Core.InputException($"rotation needs square images; {data.Source} has {data.Height}×{data.Width}");
        int n = data.Count, len = data.ImageLength, classes = data.ClassCount;
        var images = new float[4L * n * len];
        var labels = new int[4 * n];
        ParallelWork.For(4, r =>
        {
            for (int i = 0; i < n; i++)
            {
                Rotation.Rotate(data.Image(i), data.Channels, data.Height, r, images.AsSpan((r * n + i) * len, len));
                labels[r * n + i] = r * classes + data.Labels[i];
            }
        });
        var names = QuarterTurns.SelectMany(r => data.ClassNames.Select(c => r == 0 ? c : $"{c}/rot{90 * r}")).ToArray();
        var groups = data.ClassGroups is null ? null : QuarterTurns.SelectMany(_ => data.ClassGroups).ToArray();
        return new Dataset(images, 4 * n, data.Channels, data.Height, data.Width, labels, names, groups, data.Source + " (+rotations)");
    }
}
