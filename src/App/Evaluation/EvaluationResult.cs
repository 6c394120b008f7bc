namespace Lshk.App.Evaluation;

/// <summary>
/// One measured configuration. <see cref="Hash"/> and <see cref="Planes"/> name the hashing configuration the row
/// belongs to; the dense methods (cosine, cosine-mean, euclidean-mean) do not hash, so their figures repeat in every
/// hashing configuration of their episode shape, which keeps each row comparable with its neighbours.
/// Times are milliseconds per episode, summed over threads: <see cref="HashMs"/> to hash (or project) the
/// episode's images for this configuration, <see cref="MatchMs"/> for the method's own matching step.
/// <see cref="Center"/>: what codes were centred on — "on"/"off" (the grid's support-mean centring) for random planes
/// and the dense rows, "training-mean" for fitted planes, "support-mean" for one-rest (see <see cref="HashConfig.Center"/>).
/// <see cref="Protocol"/>: how the episodes were chosen (<see cref="EvaluationProtocol"/>); <see cref="Low"/> and
/// <see cref="High"/> are the ends of the 95% interval, over episodes, or over the queries (Wilson) of the fixed-support
/// protocol, where <see cref="Ci95"/> is the interval's half-width. <see cref="Queries"/>: queries per episode.
/// </summary>
public sealed record EvaluationRow(int Ways, int Shots, string Hash, int Planes, string Method, double Mean, double Ci95,
    int Episodes, int Queries, int BytesPerSupport, double HashMs, double MatchMs, string Center,
    string Protocol = EvaluationProtocol.Fresh, double Low = double.NaN, double High = double.NaN);

/// <summary>Everything one evaluation run measured.</summary>
public sealed record EvaluationResult(EvaluationGrid Grid, int Dim, string Device, IReadOnlyList<EvaluationRow> Rows,
    double Seconds)
{
    /// <summary>The row of one configuration; dense methods are found under any hashing configuration.</summary>
    public EvaluationRow Find(int ways, int shots, string method, string? hash = null, int planes = 0, string? protocol = null) =>
        Rows.First(r => r.Ways == ways && r.Shots == shots && r.Method == method &&
                        (hash is null || r.Hash == hash) && (planes == 0 || r.Planes == planes) &&
                        (protocol is null ? r.Protocol != EvaluationProtocol.FixedSupport : r.Protocol == protocol));
}
