using Lshk.Kernels.Cpu;
using Lshk.Tests.Reference;

namespace Lshk.Tests.Cpu;

public class CpuBackendSmokeTests
{
    [Fact]
    public void ProjectPackMatchesScalarReference()
    {
        var rng = new System.Random(1);
        int n = 10, d = 7, p = 33;
        float[] x = Enumerable.Range(0, n * d).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        float[] planes = Enumerable.Range(0, p * d).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        var codes = new uint[n * 2];
        using var cpu = new CpuBackend();
        cpu.ProjectPack(x, n, d, planes, default, p, codes);
        Assert.Equal(ScalarReference.ProjectPack(x, n, d, planes, null, p), codes);
    }
}
