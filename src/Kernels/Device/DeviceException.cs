namespace Lshk.Kernels;

/// <summary>
/// A compute device that cannot be used: none of the requested kind is present, it cannot be opened, or a kernel
/// launch on it failed. The message is one line. The command line reports it as <c>lshk: device error: …</c> with
/// exit code 3 — the input is fine and the program is not at fault, the machine is.
/// </summary>
public sealed class DeviceException : Exception
{
    public DeviceException(string message, Exception? inner = null) : base(message.ReplaceLineEndings(" ").Trim(), inner) { }

    /// <summary>
    /// Whether <paramref name="exception"/> was raised by ILGPU: one of its own types (a CUDA driver error, an
    /// accelerator or compiler failure), or a .NET exception thrown by ILGPU's code (such as its
    /// NotSupportedException when the CUDA driver is missing). The one place that decides which foreign exceptions
    /// count as device failures.
    /// </summary>
    public static bool IsFromDeviceRuntime(Exception exception) =>
        IsIlgpu(exception.GetType().Namespace) || IsIlgpu(exception.TargetSite?.DeclaringType?.Namespace);

    private static bool IsIlgpu(string? ns) =>
        ns is not null && (ns == IlgpuNamespace || ns.StartsWith(IlgpuNamespace + ".", StringComparison.Ordinal));

    private const string IlgpuNamespace = "ILGPU";
}
