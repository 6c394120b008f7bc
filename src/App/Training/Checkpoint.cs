using System.Globalization;
using Lshk.Data;
using Lshk.Nn.Layers;
using Lshk.Nn.ModelFiles;
using Keys = Lshk.Data.MetadataKeys.Checkpoint;

namespace Lshk.App.Training;

/// <summary>Where a run stands besides the network and optimiser: episodes done, the best validation so far, time spent.</summary>
public sealed record RunProgress(long Episode, double? BestScore, long BestEpisode, double TrainingSeconds);

/// <summary>
/// A training checkpoint: one <c>.safetensors</c> file holding the network's state_dict, the optimiser's state
/// ("optimizer.exp_avg.0.weight", …) and in its metadata the step counts, the dropout mask counters, the best
/// validation score and the run's settings. Episodes and dropout masks come from counter-based streams keyed by the
/// seed and the counters, so restoring these continues the run exactly. Written atomically (temporary file, then
/// rename): a crash leaves the previous checkpoint intact.
/// </summary>
public static class Checkpoint
{
    public const string Version = "1";
    private const string OptimiserPrefix = "optimizer.";

    public static byte[] Serialize(EpisodeTraining run, RunProgress progress)
    {
        var tensors = new List<SafeTensor>(ModelFile.StateDict(run.Network));
        if (run.Planes() is { } planes) tensors.AddRange(planes.Tensors());
        var names = run.NamedParameters.Select(p => p.Name).ToArray();
        foreach (var (slot, buffers) in run.Optimiser.State)
            for (int i = 0; i < buffers.Count; i++)
                tensors.Add(SafeTensor.FromFloats($"{OptimiserPrefix}{slot}.{names[i]}", [buffers[i].Length], buffers[i].ToArray()));
        var metadata = new Dictionary<string, string>
        {
            ["format"] = "pt",
            [Keys.Version] = Version,
            [Keys.Settings] = run.Settings.Fingerprint(),
            [Keys.Episode] = Text(progress.Episode),
            [Keys.OptimizerSteps] = Text(run.Optimiser.StepCount),
            [Keys.DropoutForwards] = string.Join(",", Dropouts(run).Select(d => Text((long)d.Forwards))),
            [Keys.BestScore] = progress.BestScore is { } b ? b.ToString("R", CultureInfo.InvariantCulture) : "",
            [Keys.BestEpisode] = Text(progress.BestEpisode),
            [Keys.TrainingSeconds] = progress.TrainingSeconds.ToString("R", CultureInfo.InvariantCulture),
        };
        var stream = new MemoryStream();
        SafeTensors.Write(stream, tensors, metadata);
        return stream.ToArray();
    }

    /// <summary>
    /// Writes the checkpoint atomically. <paramref name="pauseMs"/> &gt; 0 (a test hook) stops half-way through the
    /// temporary file for that long, after <paramref name="writing"/> announces it, so a test can kill the process there.
    /// </summary>
    public static void Write(string path, byte[] bytes, int pauseMs = 0, Action? writing = null)
    {
        using var file = AtomicFile.Open(path);
        int half = bytes.Length / 2;
        file.Stream.Write(bytes, 0, half);
        if (pauseMs > 0)
        {
            file.Stream.Flush();
            writing?.Invoke();
            Thread.Sleep(pauseMs);
        }
        file.Stream.Write(bytes, half, bytes.Length - half);
        file.Commit();
    }

    /// <summary>Loads a checkpoint into a freshly made run with the same settings; returns where the run stood.</summary>
    public static RunProgress Restore(string path, EpisodeTraining run)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new FileNotFoundException($"{path}: checkpoint not found");
        }
        var (tensors, metadata) = SafeTensors.Read(bytes, path);
        string Get(string key) => metadata.TryGetValue(key, out var v) ? v : throw new InvalidDataException($"{path}: not an lshk training checkpoint (no '{key}')");
        long Long(string key) => long.TryParse(Get(key), NumberStyles.None, CultureInfo.InvariantCulture, out long v) ? v
            : throw new InvalidDataException($"{path}: checkpoint entry '{key}' = '{Get(key)}' is not a count");
        double Double(string key) => double.TryParse(Get(key), NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v
            : throw new InvalidDataException($"{path}: checkpoint entry '{key}' = '{Get(key)}' is not a number");

        if (Get(Keys.Version) != Version) throw new InvalidDataException($"{path}: checkpoint version {Get(Keys.Version)} is not supported");
        // A minutes budget's cosine that had timed itself before the checkpoint carries on with the length it measured.
        if (run.Settings.AwaitsPace && TrainSettings.MeasuredCosineIn(Get(Keys.Settings)) is { } measured) run.UseSchedule(measured);
        string settings = run.Settings.Fingerprint();
        if (Get(Keys.Settings) != settings)
            throw new InvalidDataException($"{path}: the checkpoint was made with other settings ({Get(Keys.Settings)}) than this run ({settings})" +
                                           CosineHint(TrainSettings.ScheduleIn(Get(Keys.Settings)), run.Settings.Schedule));

        var model = tensors.Where(t => !t.Name.StartsWith(OptimiserPrefix, StringComparison.Ordinal)).ToArray();
        ModelFile.LoadStateDict(run.Network, model.Where(t => !StoredPlanes.IsPlaneTensor(t.Name)).ToArray(), path);
        if (run.Planes() is { } expected)
            run.LoadPlanes(StoredPlanes.From(model, expected.Dim, path) ?? throw new InvalidDataException($"{path}: the checkpoint lacks the run's hash planes"));
        var byName = tensors.Where(t => t.Name.StartsWith(OptimiserPrefix, StringComparison.Ordinal)).ToDictionary(t => t.Name);
        var names = run.NamedParameters.Select(p => p.Name).ToArray();
        foreach (var (slot, buffers) in run.Optimiser.State)
            for (int i = 0; i < buffers.Count; i++)
            {
                string name = $"{OptimiserPrefix}{slot}.{names[i]}";
                if (!byName.TryGetValue(name, out var t)) throw new InvalidDataException($"{path}: checkpoint lacks optimiser tensor '{name}'");
                if (t.Type != SafeTensorType.F32 || t.Count != buffers[i].Length)
                    throw new InvalidDataException($"{path}: optimiser tensor '{name}' has the wrong type or size");
                buffers[i].CopyFrom(t.ToFloats());
            }
        run.Optimiser.StepCount = checked((int)Long(Keys.OptimizerSteps));
        var dropouts = Dropouts(run);
        string[] forwards = Get(Keys.DropoutForwards).Split(',', StringSplitOptions.RemoveEmptyEntries);
        if (forwards.Length != dropouts.Length) throw new InvalidDataException($"{path}: checkpoint has {forwards.Length} dropout counters, the network {dropouts.Length} dropout layers");
        for (int i = 0; i < dropouts.Length; i++)
            dropouts[i].Forwards = ulong.TryParse(forwards[i], NumberStyles.None, CultureInfo.InvariantCulture, out ulong f) ? f
                : throw new InvalidDataException($"{path}: bad dropout counter '{forwards[i]}'");
        run.Episode = Long(Keys.Episode);
        string best = Get(Keys.BestScore);
        return new RunProgress(run.Episode, best.Length == 0 ? null : Double(Keys.BestScore), Long(Keys.BestEpisode),
            Double(Keys.TrainingSeconds));
    }

    /// <summary>The episode a checkpoint file stopped at, or 0 when there is none (or it cannot tell).</summary>
    public static long EpisodeOf(string path)
    {
        if (!File.Exists(path)) return 0;
        var (_, metadata) = SafeTensors.Read(File.ReadAllBytes(path), path);
        return metadata.TryGetValue(Keys.Episode, out var e) && long.TryParse(e, NumberStyles.None, CultureInfo.InvariantCulture, out long episode) ? episode : 0;
    }

    /// <summary>
    /// Deletes the temporary files a killed run left while writing <paramref name="path"/> (AtomicFile names them
    /// ".NAME.PID.GUID.tmp"); files of processes still alive are left alone. Returns how many were deleted.
    /// </summary>
    public static int RemoveStaleTemporaries(string path)
    {
        string folder = Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".", prefix = "." + Path.GetFileName(path) + ".";
        if (!Directory.Exists(folder)) return 0;
        int removed = 0;
        foreach (string file in Directory.EnumerateFiles(folder, prefix + "*.tmp"))
        {
            string[] parts = Path.GetFileName(file)[prefix.Length..].Split('.');
            if (parts.Length != 3 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int pid) || Alive(pid)) continue;
            try
            {
                File.Delete(file);
                removed++;
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        return removed;
    }

    private static bool Alive(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false; // no such process
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static Dropout[] Dropouts(EpisodeTraining run) => run.Network.Layers.OfType<Dropout>().ToArray();

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Why two cosine schedules of other lengths do not resume into each other, when that is the difference.</summary>
    private static string CosineHint(string? stored, string asked) =>
        stored is not null && stored != asked && TrainSettings.IsCosine(stored) && TrainSettings.IsCosine(asked)
            ? $"; a cosine schedule is one curve over its budget ({stored} here, {asked} asked): resume with the budget the run began with, " +
              "or train with a fixed schedule (such as step:2000:0.5) to grow a run into a longer one"
            : "";
}
