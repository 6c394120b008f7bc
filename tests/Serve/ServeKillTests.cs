using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Lshk.Lsh.Index;
using Lshk.Tests.Cli;

namespace Lshk.Tests.Serve;

/// <summary>
/// Durability: <c>lshk serve</c> as its own process, killed with SIGKILL in the middle of a burst of enrolments from
/// several clients, then started again on the same index file: every enrolment that was answered 201 is there.
/// </summary>
public sealed class ServeKillTests
{
    private const int Clients = 4;
    private const int AnsweredBeforeKill = 12;

    /// <summary>
    /// Drawings per character (10 characters, two classes each): 160 requests, so the kill after the 12th answer lands
    /// mid-burst even when a loaded machine wakes the watching loop late (with 40 the burst could end first).
    /// </summary>
    private const int DrawingsPerCharacter = 16;

    [Fact]
    public async Task EveryAnsweredEnrolmentSurvivesAKillDuringABurst()
    {
        using var folder = new TempFolder();
        var classes = ClassifyTestModels.ExtractEvaluation(folder.File("images"), characters: 10, drawings: DrawingsPerCharacter);
        string model = ClassifyTestModels.SaveRandom(folder.File("model.safetensors"), ClassifyTestModels.Omniglot);
        string index = folder.File("index.lshi");
        // Distinct drawings, one per request, shared out among the clients: (class, drawing file); two classes per character.
        var work = classes.SelectMany(c => Directory.GetFiles(Path.Combine(folder.File("images"), c)).Order(StringComparer.Ordinal)
            .Select((f, i) => (Class: $"{c}-{i % 2}", File: f))).ToArray();

        var answered = new ConcurrentBag<(string Class, int Examples)>();
        var server = ServerProcess.Start(model, index);
        try
        {
            using var client = new HttpClient { BaseAddress = server.Address };
            using var burst = new CancellationTokenSource();
            var clients = Enumerable.Range(0, Clients).Select(k => Task.Run(async () =>
            {
                for (int i = k; i < work.Length && !burst.IsCancellationRequested; i += Clients)
                {
                    try
                    {
                        using var response = await client.PostAsync(ServeFixture.ClassPath(work[i].Class) + "/examples", ServeFixture.Multipart(work[i].File), burst.Token);
                        if (response.StatusCode == HttpStatusCode.Created)
                            answered.Add((work[i].Class, (await ServeFixture.Json(response)).GetProperty("examples").GetInt32()));
                    }
                    catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
                    {
                        return; // the server is gone
                    }
                }
            })).ToArray();
            var deadline = Stopwatch.StartNew();
            while (answered.Count < AnsweredBeforeKill && deadline.Elapsed < TimeSpan.FromSeconds(60) && !clients.All(c => c.IsCompleted))
                await Task.Delay(5, TestContext.Current.CancellationToken);
            server.Kill();
            burst.Cancel();
            await Task.WhenAll(clients);
        }
        finally
        {
            server.Kill();
        }
        Assert.True(answered.Count >= AnsweredBeforeKill, $"only {answered.Count} enrolments were answered before the kill");
        Assert.True(answered.Count < work.Length, "the burst ended before the kill; nothing was in flight");

        // What is on disk loads, and holds at least every answered example (an unanswered one may have landed too).
        var stored = SupportIndexFile.Read(index);
        foreach (var (name, examples) in answered)
        {
            int id = stored.ClassId(name);
            Assert.True(id >= 0, $"class {name} was answered 201 but is not in the index after the kill");
            Assert.True(stored.CountOf(id) >= examples, $"class {name} was answered with {examples} examples, the index holds {stored.CountOf(id)}");
        }

        // A restarted server serves it.
        var again = ServerProcess.Start(model, index);
        try
        {
            using var client = new HttpClient { BaseAddress = again.Address };
            var listed = await ServeFixture.Json(await client.GetAsync("/v1/classes", TestContext.Current.CancellationToken));
            Assert.Equal(stored.Count, listed.GetProperty("examples").GetInt32());
            // Only the index is left beside the model and the images: no unfinished temporary file.
            Assert.Equal(["index.lshi", "model.safetensors"], Directory.GetFiles(folder.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        }
        finally
        {
            again.Kill();
        }
    }

    /// <summary><c>dotnet lshk.dll serve</c> as a child process, on a port the system picks (read from its first line).</summary>
    private sealed class ServerProcess
    {
        private readonly Process _process;

        private ServerProcess(Process process, Uri address) => (_process, Address) = (process, address);

        public Uri Address { get; }

        public static ServerProcess Start(string model, string index)
        {
            var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "lshk.dll"));
            foreach (string a in (string[])["serve", "--model", model, "--index", index, "--port", "0", "--device", "cpu"]) info.ArgumentList.Add(a);
            var process = Process.Start(info) ?? throw new InvalidOperationException("could not start lshk serve");
            string? line = process.StandardOutput.ReadLine();
            const string prefix = "listening on ";
            if (line is null || !line.StartsWith(prefix, StringComparison.Ordinal))
            {
                process.Kill();
                throw new InvalidOperationException($"lshk serve did not start: '{line}' {process.StandardError.ReadToEnd()}");
            }
            process.ErrorDataReceived += (_, _) => { };
            process.BeginErrorReadLine();
            return new ServerProcess(process, new Uri(line[prefix.Length..]));
        }

        /// <summary>SIGKILL: no shutdown code runs.</summary>
        public void Kill()
        {
            if (_process.HasExited) return;
            _process.Kill();
            _process.WaitForExit();
        }
    }
}
