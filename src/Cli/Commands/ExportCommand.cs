using System.CommandLine;
using Lshk.App.Modeling;
using Lshk.Data;
using Lshk.Export;
using Lshk.Kernels.Cpu;

namespace Lshk.Cli.Commands;

/// <summary>
/// <c>lshk export --format onnx</c>: a model's embedding network (its image preparation, its layers in inference
/// mode and, with <c>--with-hash</c>, its stored hash planes) as an ONNX file, written by <see cref="OnnxExporter"/>.
/// </summary>
internal static class ExportCommand
{
    /// <summary>The formats <c>--format</c> takes.</summary>
    private const string Onnx = "onnx";

    public static Command Create()
    {
        var model = HashingOptions.ModelOption();
        var format = new Option<string>("--format") { Description = "Output format (onnx)", DefaultValueFactory = _ => Onnx };
        format.AcceptOnlyFromAmong(Onnx);
        var output = new Option<string>("--out") { Description = "The ONNX file to write", Required = true };
        var withHash = new Option<bool>("--with-hash")
        {
            Description = "Also output the model's stored hash planes (from lshk fit-hash): projections, bits (0/1) and packed codes",
        };
        var opset = new Option<int>("--opset")
        {
            Description = $"ONNX opset to target ({OnnxExportOptions.MinOpset} to {OnnxExportOptions.MaxOpset})",
            DefaultValueFactory = _ => OnnxExportOptions.DefaultOpset,
        };
        var command = new Command("export", "Write a model's embedding network (and its stored hash planes) as ONNX")
        {
            model, format, output, withHash, opset,
        };
        command.SetAction(parse =>
        {
            var options = new OnnxExportOptions(parse.GetValue(opset), parse.GetValue(withHash));
            if (options.Opset is < OnnxExportOptions.MinOpset or > OnnxExportOptions.MaxOpset)
                throw new UsageException($"--opset must be {OnnxExportOptions.MinOpset} to {OnnxExportOptions.MaxOpset} (got {options.Opset})");
            string outPath = parse.GetValue(output)!;
            // Exporting only reads the parameters: the CPU backend holds them, whatever device the model trained on.
            using var backend = new CpuBackend();
            using var embedder = Embedder.Load(parse.GetValue(model)!, backend);
            OnnxExportSummary summary = null!;
            AtomicFile.Write(outPath, s => summary = OnnxExporter.Write(Exported(embedder), options, s));
            Output.Error(parse).WriteLine($"exported {embedder.Config.Describe()} to {outPath}: opset {summary.Opset}, {summary.Nodes} nodes, " +
                                          $"input {OnnxGraphNames.Image}, outputs {string.Join(", ", summary.Outputs)} ({summary.Bytes} bytes)");
            return 0;
        });
        return command;
    }

    private static ExportedModel Exported(Embedder embedder)
    {
        var p = embedder.Preprocessing;
        return new ExportedModel(embedder.Source, embedder.Network, embedder.Config, new InputPreparation(p.Invert, p.Mean, p.Std),
            embedder.Planes, embedder.Metadata, embedder.Checksum);
    }
}
