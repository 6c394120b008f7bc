namespace Lshk.Lsh.Fitting;

/// <summary>
/// Settings of the dual coordinate-descent linear SVM. C = 1 and the hinge loss are the original study's; the
/// tolerance bounds every coordinate's projected gradient at the solution, i.e. how far each KKT condition may be
/// off (in margin units: y·f(x) ≥ 1 − Tolerance for α = 0, |y·f(x) − 1| ≤ Tolerance for 0 &lt; α &lt; C, ≤ 1 + Tolerance for α = C).
/// </summary>
public sealed record SvmOptions
{
    public const double DefaultC = 1.0;

    /// <summary>Ten times tighter than LIBLINEAR's default 0.1 gap: episodes have at most a few hundred supports, so it is cheap.</summary>
    public const double DefaultTolerance = 1e-3;

    /// <summary>A cap for problems that converge slowly (large C on overlapping classes); the result then reports Converged = false.</summary>
    public const int DefaultMaxEpochs = 10_000;

    public double C { get; init; } = DefaultC;
    public double Tolerance { get; init; } = DefaultTolerance;
    public int MaxEpochs { get; init; } = DefaultMaxEpochs;

    /// <summary>Seeds the order in which each epoch visits the examples.</summary>
    public ulong Seed { get; init; }

    public void Validate()
    {
        if (!(C > 0) || double.IsInfinity(C)) throw new ArgumentOutOfRangeException(nameof(C), C, $"the SVM's C must be positive and finite (got {C})");
        if (!(Tolerance > 0)) throw new ArgumentOutOfRangeException(nameof(Tolerance), Tolerance, $"the SVM's tolerance must be positive (got {Tolerance})");
        if (MaxEpochs < 1) throw new ArgumentOutOfRangeException(nameof(MaxEpochs), MaxEpochs, $"the SVM needs at least one epoch (got {MaxEpochs})");
    }
}
