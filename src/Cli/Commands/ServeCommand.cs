using System.CommandLine;
using Lshk.Serve;

namespace Lshk.Cli.Commands;

/// <summary>
/// <c>lshk serve</c>: the HTTP service (src/Serve): classify, enrol and delete classes while it runs, with the index
/// kept durable on disk. Prints the address it listens on (first line of stdout) and the reject threshold, then
/// serves until Ctrl+C or SIGTERM.
/// </summary>
internal static class ServeCommand
{
    private const string Auto = "auto";

    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model file (.safetensors)", Required = true };
        var index = new Option<string>("--index") { Description = "Index file (.lshi) to serve and keep up to date; created at the first enrolment when missing", Required = true };
        var port = new Option<int>("--port") { Description = "TCP port (0: any free port)", DefaultValueFactory = _ => 8080 };
        var host = new Option<string>("--host") { Description = "Address to listen on", DefaultValueFactory = _ => "127.0.0.1" };
        var support = new Option<string?>("--support") { Description = "When --index does not exist: enrol this folder (one subfolder of images per class) into it at start" };
        var token = new Option<string?>("--token") { Description = "Require Authorization: Bearer TOKEN for enrolling and deleting" };
        var reject = new Option<string?>("--reject")
        {
            Description = "Open set: a hamming score (bits) below which an image gets \"class\": null; alone (or 'auto'): one threshold per method (hamming, asymmetric, cosine), calibrated on the model's training classes with the index's planes or codebook (a codebook index has no hamming threshold)",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var data = new Option<string?>("--data") { Description = "Dataset whose training classes calibrate --reject (default: the one the model was trained on)" };
        var device = CommonOptions.Device();
        var views = new ViewOptions();
        var command = new Command("serve", "Serve a model and an index over HTTP: classify, enrol and delete classes live")
        {
            model, index, port, host, support, token, reject, data, device,
        };
        foreach (var option in views.All) command.Options.Add(option);
        command.SetAction(parse =>
        {
            int portValue = parse.GetValue(port);
            if (portValue is < 0 or > 65535) throw new UsageException($"--port must be from 0 to 65535 (got {portValue})");
            if (!System.Net.IPAddress.TryParse(parse.GetValue(host), out _)) throw new UsageException($"--host must be an IP address (got '{parse.GetValue(host)}')");
            var settings = new ServeSettings(parse.GetValue(model)!, parse.GetValue(index)!)
            {
                Port = portValue,
                Host = parse.GetValue(host)!,
                SupportFolder = parse.GetValue(support),
                Token = parse.GetValue(token),
                Views = views.Parse(parse),
            };
            if (parse.GetResult(reject) is not null)
            {
                string? text = parse.GetValue(reject);
                if (text is null || text == Auto) settings = settings with { CalibrationData = embedder => TrainingClasses(embedder, parse.GetValue(data)) };
                else if (double.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out double bits)) settings = settings with { Reject = bits };
                else throw new UsageException($"--reject must be a number of bits or auto (got '{text}')");
            }
            var output = parse.InvocationConfiguration.Output;
            var err = Output.Error(parse);
            using var backend = CommonOptions.OpenDevice(parse, device);
            Run(settings, backend, output, err).GetAwaiter().GetResult();
            return 0;
        });
        return command;
    }

    private static async Task Run(ServeSettings settings, Lshk.Kernels.IComputeBackend backend, TextWriter output, TextWriter err)
    {
        await using var server = await LshkServer.StartAsync(settings, backend, err.WriteLine);
        // The first line of stdout: scripts and tests read the address from it (the port, when --port 0).
        output.WriteLine($"listening on {server.Address}");
        output.Flush();
        err.WriteLine(server.Rejects.Count > 0
            ? $"reject thresholds: {string.Join(", ", server.Rejects.Select(r => r.Describe()))} ({server.RejectSource})"
            : "reject threshold: none (every image gets its best class)");
        err.WriteLine($"on {backend.Device.Name}; Ctrl+C to stop");
        await server.WaitForShutdownAsync();
    }

    /// <summary>The training classes of the model's dataset (or of --data), read through the dataset cache.</summary>
    private static Lshk.Data.Dataset TrainingClasses(Lshk.App.Modeling.Embedder embedder, string? data)
    {
        string name = data ?? (embedder.Metadata.TryGetValue(Lshk.Data.MetadataKeys.Data, out string? d) ? d
            : throw new UsageException($"{embedder.Source} does not say which dataset it was trained on: give --data to calibrate --reject"));
        var spec = Lshk.Data.Sources.DatasetSpec.Parse(name);
        var locations = Lshk.Data.Sources.DataLocations.FromEnvironment();
        var loader = new Lshk.Data.Sources.DatasetLoader(locations, new Lshk.Data.Caching.DatasetCache(locations.CacheFolder()));
        var split = loader.LoadFewShot(spec, embedder.Preprocessing.ReadSettings(),
            new Lshk.Data.Sources.SplitOptions(Lshk.App.Evaluation.ModelEvaluation.DefaultSplit(embedder, spec), Rotations: false));
        return split.Train ?? throw new UsageException($"{spec} has no training classes to calibrate --reject on");
    }
}
