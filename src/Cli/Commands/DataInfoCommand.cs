using System.CommandLine;
using System.Diagnostics;
using Lshk.Data;
using Lshk.Data.Sources;
using Spectre.Console;

namespace Lshk.Cli.Commands;

/// <summary><c>lshk data info NAME[:PATH]</c>: parts, classes, images, groups, image size, cache state and the few-shot split.</summary>
internal static class DataInfoCommand
{
    public static Command Create()
    {
        var options = new DataOptions();
        var split = new Option<string?>("--split") { Description = "Class split: the dataset's default, all, A-B/C-D ranges or T/V/E counts (Omniglot: official or vinyals)" };
        var validation = new Option<int>("--validation-classes") { Description = "Classes held out of training for validation" };
        var seed = new Option<ulong>("--seed") { Description = "Seed of seeded splits", DefaultValueFactory = _ => 1UL };
        var command = new Command("info", "Describe a dataset: parts, classes, images, groups, image size, cache state, class split");
        options.AddTo(command);
        command.Options.Add(split);
        command.Options.Add(validation);
        command.Options.Add(seed);
        command.SetAction(parse =>
        {
            var spec = options.Spec(parse);
            var settings = options.Settings(parse);
            var loader = options.Loader(parse);
            var watch = Stopwatch.StartNew();
            var data = loader.LoadFewShot(spec, settings, new SplitOptions(parse.GetValue(split), parse.GetValue(validation), parse.GetValue(seed)));
            double seconds = watch.Elapsed.TotalSeconds;
            var console = Output.Console(parse);
            console.WriteLine($"dataset {spec.Id} at {loader.Locations.Resolve(spec)}");
            var table = new Table().AddColumns("part", "images", "classes", "groups", "image size", "cache", "load time");
            foreach (var part in data.Parts)
            {
                var d = part.Data;
                table.AddRow(part.Name, d.Count.ToString(), d.ClassCount.ToString(), d.ClassGroups is null ? "-" : d.GroupNames().Count.ToString(),
                    $"{d.Channels}×{d.Height}×{d.Width}", DataOptions.Describe(part.Cache), $"{part.Time.TotalSeconds:F2} s");
            }
            console.Write(table);
            console.WriteLine($"cache: {loader.Cache?.Folder ?? "off"}");
            console.WriteLine($"split: {data.Split}");
            var splits = new Table().AddColumns("split", "classes", "images", "groups");
            void Row(string name, Dataset? d)
            {
                if (d is not null) splits.AddRow(name, d.ClassCount.ToString(), d.Count.ToString(), d.ClassGroups is null ? "-" : d.GroupNames().Count.ToString());
            }
            Row("train", data.Train);
            Row("validation", data.Validation);
            Row("test", data.Test);
            console.Write(splits);
            console.WriteLine($"loaded in {seconds:F2} s");
            return 0;
        });
        return command;
    }
}
