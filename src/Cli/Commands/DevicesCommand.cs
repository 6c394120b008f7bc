using System.CommandLine;
using Lshk.Kernels;
using Spectre.Console;

namespace Lshk.Cli.Commands;

/// <summary><c>lshk devices</c>: what lshk can compute on here.</summary>
internal static class DevicesCommand
{
    public static Command Create()
    {
        var command = new Command("devices", "List the devices lshk can compute on (CPU, CUDA GPUs, ILGPU's CPU simulator)");
        command.SetAction(parse =>
        {
            var table = new Table().AddColumns("backend", "name", "memory", "compute capability", "warp size", "processors");
            foreach (var d in Devices.List())
                table.AddRow(d.Backend, Markup.Escape(d.Name), $"{d.MemoryBytes / (1024.0 * 1024 * 1024):F1} GiB",
                    d.ComputeCapability ?? "-", d.WarpSize.ToString(), d.Processors.ToString());
            Output.Console(parse).Write(table);
            return 0;
        });
        return command;
    }
}
