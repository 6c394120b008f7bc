namespace Lshk.Cli;

/// <summary>The exit codes of <c>lshk</c>, one per class of failure (README.md, "Exit codes").</summary>
public static class ExitCodes
{
    public const int Success = 0;

    /// <summary>Bad input: a file's content, a missing or unreadable file, a value that names nothing usable.</summary>
    public const int BadInput = 1;

    /// <summary>Bad usage: an unknown option, a missing argument, an option value of the wrong type or out of range.</summary>
    public const int BadUsage = 2;

    /// <summary>The compute device failed: none of the requested kind, or it could not be opened or run a kernel.</summary>
    public const int DeviceFailure = 3;

    /// <summary>A bug: anything else. 70 is EX_SOFTWARE of BSD's sysexits.h, the usual code for an internal error.</summary>
    public const int InternalError = 70;
}
