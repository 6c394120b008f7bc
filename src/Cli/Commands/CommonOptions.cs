using System.CommandLine;
using System.CommandLine.Parsing;
using Lshk.Kernels;

namespace Lshk.Cli.Commands;

/// <summary>Options shared by every command that computes.</summary>
internal static class CommonOptions
{
    public static Option<string> Device()
    {
        var option = new Option<string>("--device")
        {
            Description = "Where to compute: auto (CUDA if present, else CPU), cpu, cuda, ilgpu-cpu (ILGPU's CPU simulator, for testing)",
            DefaultValueFactory = _ => "auto",
        };
        // An unknown device name is a usage error found while parsing, before any work starts.
        option.Validators.Add(result =>
        {
            string? text = result.GetValueOrDefault<string>();
            if (!Devices.TryParse(text, out _)) result.AddError($"unknown device '{text}' (expected {Devices.Expected})");
        });
        return option;
    }

    public static IComputeBackend OpenDevice(ParseResult parse, Option<string> option) =>
        Devices.Open(Devices.Parse(parse.GetValue(option)!));

    /// <summary>An on/off option's value (on, true, yes or mean; off, false, no or none), for every command that takes one.</summary>
    public static bool ParseOnOff(string text, string option) => text.Trim().ToLowerInvariant() switch
    {
        "on" or "true" or "yes" or "mean" => true,
        "off" or "false" or "no" or "none" => false,
        _ => throw new UsageException($"{option} must be on or off (got '{text}')"),
    };

    /// <summary>A comma-separated list of positive integers, e.g. "16,32,64".</summary>
    public static Option<int[]> IntList(string name, string description, params int[] defaults) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => defaults,
        CustomParser = ParseIntList,
        AllowMultipleArgumentsPerToken = false,
    };

    private static int[] ParseIntList(ArgumentResult result)
    {
        var values = new List<int>();
        foreach (var token in result.Tokens)
            foreach (var part in token.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!int.TryParse(part.Replace("_", ""), out int v))
                {
                    result.AddError($"'{part}' is not an integer");
                    return [];
                }
                values.Add(v);
            }
        return values.ToArray();
    }
}
