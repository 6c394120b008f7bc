namespace Lshk.App;

/// <summary>
/// A bad setting of a job, named as the setting (e.g. "ways") followed by the problem. The application layer knows no
/// command line: the CLI turns the setting's name into its option when it reports the problem.
/// </summary>
public sealed class SettingException(string setting, string problem) : Lshk.Core.InputException($"{setting} {problem}")
{
    public string Setting { get; } = setting;
    public string Problem { get; } = problem;
}
