using Lshk.Data;

namespace Lshk.Tests.Data;

public class ChannelStatsTests
{
    [Fact]
    public void StatsAreThePerChannelMeanAndSpreadAndNormaliseToZeroAndOne()
    {
        // Two 2-channel 1×2 images: channel 0 holds 0, 1, 2, 3 (mean 1.5, sd √1.25); channel 1 is constant 0.5.
        float[] images = [0, 1, 0.5f, 0.5f, 2, 3, 0.5f, 0.5f];
        var data = new Dataset(images, 2, 2, 1, 2, [0, 0], ["c"], null, "hand");
        var stats = ChannelStats.Compute(data);
        Assert.Equal([1.5f, 0.5f], stats.Mean);
        Assert.Equal((float)Math.Sqrt(1.25), stats.Std[0], 6);
        Assert.Equal(0f, stats.Std[1]);
        var normalised = stats.Normalize(data);
        Assert.Equal(-1.5f / (float)Math.Sqrt(1.25), normalised.Images[0], 5);
        Assert.Equal(0f, normalised.Images[2]);   // zero spread: centred only
        var again = ChannelStats.Compute(normalised);
        Assert.Equal(0f, again.Mean[0], 5);
        Assert.Equal(1f, again.Std[0], 5);
        Assert.Equal(0.5f, data.Images[2]);       // the original is untouched
        Assert.Throws<Lshk.Core.InputException>(() => new ChannelStats([0f], [1f]).Normalize(data));
    }
}
