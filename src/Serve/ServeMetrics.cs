using Prometheus;

namespace Lshk.Serve;

/// <summary>
/// The service's own Prometheus metrics, in a registry of its own (so several services in one process, as in the
/// tests, do not share counts). Requests and their latencies per endpoint come from prometheus-net's HTTP middleware
/// (<c>http_requests_received_total</c>, <c>http_request_duration_seconds</c>) registered in the same registry.
/// </summary>
public sealed class ServeMetrics
{
    /// <summary>Batch-size buckets: powers of two up to the batcher's largest batch.</summary>
    private static readonly double[] BatchBuckets = Histogram.ExponentialBuckets(1, 2, 9);

    public ServeMetrics()
    {
        var factory = Metrics.WithCustomRegistry(Registry);
        BatchImages = factory.CreateHistogram("lshk_batch_images", "Images per embedding pass of the server-side batcher",
            new HistogramConfiguration { Buckets = BatchBuckets });
        ClassifiedImages = factory.CreateCounter("lshk_classified_images_total", "Images classified");
        EnrolledImages = factory.CreateCounter("lshk_enrolled_images_total", "Images enrolled (answered 201)");
        IndexItems = factory.CreateGauge("lshk_index_items", "Examples in the index");
        IndexClasses = factory.CreateGauge("lshk_index_classes", "Classes in the index");
        IndexWrites = factory.CreateCounter("lshk_index_writes_total", "Index files written (one per group of changes)");
    }

    public CollectorRegistry Registry { get; } = Metrics.NewCustomRegistry();
    public Histogram BatchImages { get; }
    public Counter ClassifiedImages { get; }
    public Counter EnrolledImages { get; }
    public Gauge IndexItems { get; }
    public Gauge IndexClasses { get; }
    public Counter IndexWrites { get; }

    public void ShowIndex(Lshk.Lsh.Index.SupportIndex? index)
    {
        IndexItems.Set(index?.Count ?? 0);
        IndexClasses.Set(index?.ClassCount ?? 0);
    }
}
