using System.Net;
using Lshk.App.Modeling;
using Lshk.Kernels;
using Lshk.Lsh.Index;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace Lshk.Serve;

/// <summary>
/// <c>lshk serve</c> as a library: loads the model and the index (or starts empty, or from a support folder), starts
/// Kestrel with the endpoints of <see cref="ServeEndpoints"/>, and runs the batcher and the index writer behind them.
/// </summary>
public sealed class LshkServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Embedder _embedder;
    private readonly IndexStore _store;
    private readonly EmbeddingBatcher _batcher;

    private LshkServer(WebApplication app, Embedder embedder, IndexStore store, EmbeddingBatcher batcher, Uri address,
        IReadOnlyList<RejectThreshold> rejects, string? rejectSource)
    {
        (_app, _embedder, _store, _batcher, Address, Rejects, RejectSource) = (app, embedder, store, batcher, address, rejects, rejectSource);
    }

    /// <summary>The address the service listens on (with the port the system chose when asked for port 0).</summary>
    public Uri Address { get; }

    /// <summary>
    /// The reject thresholds in use, one per method that has one (a request scored by another method gets its best
    /// class); empty when every image gets its best class.
    /// </summary>
    public IReadOnlyList<RejectThreshold> Rejects { get; }

    /// <summary>The threshold of <paramref name="method"/>, or null when it has none.</summary>
    public double? RejectFor(Lshk.Lsh.MatchMethod method) => RejectThreshold.For(Rejects, method);

    /// <summary>Where <see cref="Rejects"/> came from ("given at start", or how they were calibrated); null without any.</summary>
    public string? RejectSource { get; }

    public SupportIndex? Index => _store.Current;

    /// <summary>Loads everything and starts listening; <paramref name="status"/> hears what start-up is doing.</summary>
    public static async Task<LshkServer> StartAsync(ServeSettings settings, IComputeBackend backend, Action<string>? status = null)
    {
        var embedder = Embedder.Load(settings.ModelPath, backend);
        try
        {
            var index = InitialIndex(settings, backend, embedder, status);
            var (rejects, rejectSource) = RejectThresholds(settings, backend, embedder, index, status);
            var metrics = new ServeMetrics();
            metrics.ShowIndex(index);
            var gate = new object();
            var store = new IndexStore(settings.IndexPath, index, backend, gate, embedder.Checksum, embedder.Views?.ForIndex());
            store.Changed += metrics.ShowIndex;
            store.Changed += _ => metrics.IndexWrites.Inc();
            var batcher = new EmbeddingBatcher(embedder, backend, store, gate, metrics);
            var app = Build(settings, new ServeContext(settings, embedder, store, batcher, metrics, rejects));
            try
            {
                await app.StartAsync();
            }
            catch (IOException e)
            {
                // Most often the port is taken: the user's to fix, so an input error rather than a crash.
                await app.DisposeAsync();
                await batcher.DisposeAsync();
                await store.DisposeAsync();
                throw new Lshk.Core.InputException($"{settings.Host}:{settings.Port}", $"cannot listen ({e.Message})");
            }
            var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
            return new LshkServer(app, embedder, store, batcher, address, rejects, rejectSource);
        }
        catch
        {
            embedder.Dispose();
            throw;
        }
    }

    /// <summary>Waits until the process is asked to stop (Ctrl+C, SIGTERM).</summary>
    public Task WaitForShutdownAsync() => _app.WaitForShutdownAsync();

    private static SupportIndex? InitialIndex(ServeSettings settings, IComputeBackend backend, Embedder embedder, Action<string>? status)
    {
        // A server killed while writing leaves its temporary file beside the index (never a half-written index).
        if (Lshk.Data.AtomicFile.RemoveLeftovers(settings.IndexPath) is > 0 and int removed)
            status?.Invoke($"removed {removed} unfinished write(s) of {settings.IndexPath} left by a stopped server");
        embedder.Views = settings.Views;
        if (File.Exists(settings.IndexPath))
        {
            if (settings.SupportFolder is not null)
                throw new Lshk.Core.InputException(settings.IndexPath, "exists already; a support folder is enrolled only into a new index");
            var index = SupportIndexFile.Read(settings.IndexPath);
            SupportIndexFile.RequireModel(index, settings.IndexPath, embedder.Checksum, embedder.Dim, settings.ModelPath);
            // Queries and enrolments are embedded as the index's supports were.
            var stored = TestTimeViews.Of(index, settings.IndexPath);
            if (settings.Views is { } asked && asked.ForIndex() != stored?.ForIndex())
                throw new Lshk.Core.InputException(settings.IndexPath,
                    $"was enrolled with {EmbeddingViews.Describe(index.Views)}, not the {asked.Count} views asked for at start");
            embedder.Views = stored;
            string viewed = index.Views is { } v ? $", each the mean of {v.Describe()}" : "";
            status?.Invoke($"loaded {settings.IndexPath}: {index.Count} examples of {index.ClassCount} classes{viewed}");
            return index;
        }
        if (settings.SupportFolder is null)
        {
            status?.Invoke($"{settings.IndexPath} does not exist: starting with no classes (written at the first enrolment)");
            return null;
        }
        var created = HashingChoice.Default.Enrol(backend, embedder, settings.SupportFolder);
        IndexStore.Save(settings.IndexPath, created);
        status?.Invoke($"enrolled {settings.SupportFolder}: {created.Count} examples of {created.ClassCount} classes → {settings.IndexPath}");
        return created;
    }

    /// <summary>
    /// A threshold given at start (bits of the hamming method), or thresholds calibrated for the index being served
    /// (its own planes; without an index, those its first enrolment will get), or none.
    /// </summary>
    private static (IReadOnlyList<RejectThreshold>, string?) RejectThresholds(ServeSettings settings, IComputeBackend backend, Embedder embedder,
        SupportIndex? index, Action<string>? status)
    {
        if (settings.Reject is { } given)
        {
            // A threshold in bits is for the hamming method, which an index of codebook codes never scores with.
            if (index is not null && !index.Supports(Lshk.Lsh.MatchMethod.HammingNearest))
                throw new Lshk.Core.InputException($"{settings.IndexPath} holds {index.Family.Name} codes, scored by the asymmetric method: " +
                                                   "a reject threshold in Hamming bits does not apply to them (calibrate one per method instead)");
            return ([new RejectThreshold(Lshk.Lsh.MatchMethod.HammingNearest, given, double.NaN, double.NaN)], "given at start");
        }
        if (settings.CalibrationData is null) return ([], null);
        var data = settings.CalibrationData(embedder);
        status?.Invoke($"calibrating the reject thresholds on {data.Source}");
        var calibration = RejectCalibration.Calibrate(backend, embedder, data, index);
        return (calibration.Thresholds, calibration.Describe());
    }

    private static WebApplication Build(ServeSettings settings, ServeContext context)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Parse(settings.Host), settings.Port);
            kestrel.Limits.MaxRequestBodySize = settings.Limits.MaxBodyBytes;
        });
        builder.Services.Configure<FormOptions>(form => form.MultipartBodyLengthLimit = settings.Limits.MaxBodyBytes);
        var app = builder.Build();
        app.Use(ServeErrors.Handle);
        app.UseRouting();
        app.UseHttpMetrics(options => options.SetMetricFactory(Metrics.WithCustomRegistry(context.Metrics.Registry)));
        ServeEndpoints.Map(app, context);
        app.MapMetrics("/metrics", context.Metrics.Registry);
        return app;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _batcher.DisposeAsync();
        await _store.DisposeAsync();
        _embedder.Dispose();
    }
}

/// <summary>What the endpoints share.</summary>
public sealed record ServeContext(ServeSettings Settings, Embedder Embedder, IndexStore Store, EmbeddingBatcher Batcher, ServeMetrics Metrics,
    IReadOnlyList<RejectThreshold> Rejects);
