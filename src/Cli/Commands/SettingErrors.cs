using Lshk.App;

namespace Lshk.Cli.Commands;

/// <summary>Reports a job's bad setting as the option that set it: "ways must be …" becomes "--ways must be …".</summary>
internal static class SettingErrors
{
    public static int AsOptions(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (SettingException e)
        {
            throw new UsageException($"--{e.Setting} {e.Problem}");
        }
    }
}
