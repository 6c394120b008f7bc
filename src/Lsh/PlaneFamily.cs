using Lshk.Lsh.Families;

namespace Lshk.Lsh;

/// <summary>
/// The built-in random families, for code that names one directly (<c>PlaneFamily.Gaussian</c>). Families are
/// looked up by name through <see cref="HashFamilies"/>; a new family need not appear here.
/// </summary>
public static class PlaneFamily
{
    public static IRandomHashFamily Gaussian => GaussianPlanes.Instance;
    public static IRandomHashFamily Uniform => UniformPlanes.Instance;
    public static IRandomHashFamily Integer => IntegerPlanes.Instance;
}
