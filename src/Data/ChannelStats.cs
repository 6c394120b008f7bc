namespace Lshk.Data;

/// <summary>
/// Per-channel mean and standard deviation of a dataset's pixels, for optional normalisation
/// x → (x − mean) / std. Computed on the training images and stored with the model, so the same values are
/// applied to the images it later sees.
/// </summary>
public sealed record ChannelStats(float[] Mean, float[] Std)
{
    /// <summary>Mean and population standard deviation of each channel over every pixel of every image (double sums).</summary>
    public static ChannelStats Compute(Dataset data)
    {
        int c = data.Channels, plane = data.Height * data.Width;
        var sum = new double[c];
        var sumSq = new double[c];
        for (int i = 0; i < data.Count; i++)
        {
            var image = data.Image(i);
            for (int ch = 0; ch < c; ch++)
            {
                double s = 0, s2 = 0;
                foreach (float v in image.Slice(ch * plane, plane)) { s += v; s2 += (double)v * v; }
                sum[ch] += s;
                sumSq[ch] += s2;
            }
        }
        double n = Math.Max(1.0, (double)data.Count * plane);
        var mean = new float[c];
        var std = new float[c];
        for (int ch = 0; ch < c; ch++)
        {
            double m = sum[ch] / n;
            mean[ch] = (float)m;
            std[ch] = (float)Math.Sqrt(Math.Max(0, sumSq[ch] / n - m * m));
        }
        return new ChannelStats(mean, std);
    }

    /// <summary>A copy of the dataset with every channel normalised; a channel of zero spread is only centred.</summary>
    public Dataset Normalize(Dataset data)
    {
        if (Mean.Length != data.Channels || Std.Length != data.Channels)
            throw new Lshk.Core.InputException($"normalisation has {Mean.Length} channels, the images have {data.Channels}");
        int plane = data.Height * data.Width;
        var images = (float[])data.Images.Clone();
        for (int i = 0; i < data.Count; i++)
            for (int ch = 0; ch < data.Channels; ch++)
            {
                float m = Mean[ch], scale = Std[ch] > 0 ? 1f / Std[ch] : 1f;
                foreach (ref float v in images.AsSpan((i * data.Channels + ch) * plane, plane)) v = (v - m) * scale;
            }
        return new Dataset(images, data.Count, data.Channels, data.Height, data.Width, data.Labels, data.ClassNames,
            data.ClassGroups, data.Source);
    }
}
