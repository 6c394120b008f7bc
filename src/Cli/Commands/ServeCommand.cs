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
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model file (.safetensors)", Required = true };
        var index = new Option<string>("--index") { Description = "Index file (.lshi) to serve and keep up to date; created at the first enrolment when missing", Required = true };
        var port = new Option<int>("--port") { Description = "TCP port (0: any free port)", DefaultValueFactory = _ => 8080 };
        var host = new Option<string>("--host") { Description = "Address to listen on", DefaultValueFactory = _ => "127.0.0.1" };
        var support = new Option<string?>("--support") { Description = "When --index does not exist: enrol this folder (one subfolder of images per class) into it at start" };
        var token = new Option<string?>("--token") { Description = "Require Authorization: Bearer TOKEN for enrolling and deleting" };
        var reject = new Option<double?>("--reject") { Description = "Open set: a hamming score (bits) below which an image gets \"class\": null" };
        var device = CommonOptions.Device();
        var command = new Command("serve", "Serve a model and an index over HTTP: classify, enrol and delete classes live")
        {
            model, index, port, host, support, token, reject, device,
        };
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
                Reject = parse.GetValue(reject),
            };
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
        err.WriteLine(server.Reject is { } r ? $"reject threshold: {r} bits ({server.RejectSource})" : "reject threshold: none (every image gets its best class)");
        err.WriteLine($"on {backend.Device.Name}; Ctrl+C to stop");
        await server.WaitForShutdownAsync();
    }
}
