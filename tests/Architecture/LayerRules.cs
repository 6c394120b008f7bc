namespace Lshk.Tests.Architecture;

/// <summary>
/// The dependency rule of docs/ARCHITECTURE.md as data: which of our projects each project in src/ may use, which
/// packages may be used where, and which namespaces belong to which project or package. A project or package
/// missing from these tables fails the layering test, so adding one is a decision written down here.
/// </summary>
internal static class LayerRules
{
    /// <summary>Project (its folder under src/) → the projects of ours it may reference.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> Projects = new Dictionary<string, string[]>
    {
        // Core holds only what every layer shares (the input-error type), so every project may use it.
        ["Core"] = [],
        ["Kernels"] = ["Core"],
        ["Nn"] = ["Core", "Kernels"],
        ["Lsh"] = ["Core", "Kernels"],
        ["Data"] = ["Core"],
        ["App"] = ["Core", "Kernels", "Nn", "Lsh", "Data"],
        // Export writes a loaded network as ONNX: it reads layers and stored planes, nothing else of ours.
        ["Export"] = ["Core", "Nn"],
        // The HTTP service: only the command line uses it, so nothing else loads the web framework.
        ["Serve"] = ["Core", "App", "Kernels", "Lsh", "Data"],
        ["Cli"] = ["Core", "App", "Kernels", "Nn", "Lsh", "Data", "Export", "Serve"],
    };

    /// <summary>The libraries and the application layer: what they say must not assume a command line.</summary>
    public static readonly IReadOnlySet<string> NoCommandLine = new HashSet<string> { "Core", "Kernels", "Nn", "Lsh", "Data", "App", "Export", "Serve" };

    /// <summary>Package → the projects that may reference it (or use its namespaces).</summary>
    public static readonly IReadOnlyDictionary<string, string[]> Packages = new Dictionary<string, string[]>
    {
        // The device layer owns the GPU toolchain: only Kernels knows ILGPU.
        ["ILGPU"] = ["Kernels"],
        ["ILGPU.Algorithms"] = ["Kernels"],
        // Part of .NET's own numerics; any compute code may use it.
        ["System.Numerics.Tensors"] = ["Kernels", "Nn", "Lsh", "App", "Cli"],
        // Float64 linear algebra (eigen decompositions, SVD) for fitting hash planes.
        ["MathNet.Numerics"] = ["Lsh"],
        // Image decoding lives in Data; the layers above may see its types through Data.
        ["SixLabors.ImageSharp"] = ["Data", "App", "Cli"],
        // Parsing, terminal output and plots are the command line's.
        ["System.CommandLine"] = ["Cli"],
        ["Spectre.Console"] = ["Cli"],
        ["ScottPlot"] = ["Cli"],
        // The ONNX schema's generated types and their serialiser (protoc from Grpc.Tools, at build time) are Export's.
        ["Google.Protobuf"] = ["Export"],
        ["Grpc.Tools"] = ["Export"],
        // Prometheus metrics are the service's.
        ["prometheus-net.AspNetCore"] = ["Serve"],
        // The web framework (a FrameworkReference): only the service knows it.
        ["Microsoft.AspNetCore.App"] = ["Serve"],
    };

    /// <summary>Namespace prefix → the project (plain name) or package ("package:" + id) it belongs to.</summary>
    public static readonly IReadOnlyList<(string Prefix, string Owner)> Namespaces =
    [
        ("Lshk.Core", "Core"),
        ("Lshk.Kernels", "Kernels"),
        ("Lshk.Nn", "Nn"),
        ("Lshk.Lsh", "Lsh"),
        ("Lshk.Data", "Data"),
        ("Lshk.App", "App"),
        ("Lshk.Export", "Export"),
        ("Lshk.Cli", "Cli"),
        ("Lshk.Serve", "Serve"),
        ("ILGPU.Algorithms", "package:ILGPU.Algorithms"),
        ("ILGPU", "package:ILGPU"),
        ("SixLabors.ImageSharp", "package:SixLabors.ImageSharp"),
        ("MathNet.Numerics", "package:MathNet.Numerics"),
        ("System.CommandLine", "package:System.CommandLine"),
        ("Spectre.Console", "package:Spectre.Console"),
        ("ScottPlot", "package:ScottPlot"),
        ("Google.Protobuf", "package:Google.Protobuf"),
        ("Prometheus", "package:prometheus-net.AspNetCore"),
        ("Microsoft.AspNetCore", "package:Microsoft.AspNetCore.App"),
        ("Microsoft.Extensions.Hosting", "package:Microsoft.AspNetCore.App"),
    ];

    /// <summary>The owner of a namespace, or null for one outside the tables (System.*, Microsoft.*).</summary>
    public static string? OwnerOf(string name)
    {
        foreach (var (prefix, owner) in Namespaces)
            if (name == prefix || name.StartsWith(prefix + ".", StringComparison.Ordinal)) return owner;
        return null;
    }
}
