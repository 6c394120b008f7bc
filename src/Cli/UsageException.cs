using Lshk.Core;

namespace Lshk.Cli;

/// <summary>
/// A command line that asks for something impossible: an option value out of range or not one of the accepted
/// words, or options that contradict each other. Reported like System.CommandLine's own parse errors (unknown
/// option, missing argument, a value of the wrong type): one line, exit code 2. Option checks in the commands throw
/// this rather than <see cref="ArgumentException"/>, which is kept for broken contracts between our own classes.
/// </summary>
public sealed class UsageException : Exception
{
    public UsageException(string message) : base(InputException.OneLine(message)) { }

    /// <summary>An option value that must be at least 1.</summary>
    public static void RequirePositive(int value, string option)
    {
        if (value < 1) throw new UsageException($"{option} must be at least 1 (got {value})");
    }

    /// <summary>An option value that must be at least 0.</summary>
    public static void RequireNonNegative(int value, string option)
    {
        if (value < 0) throw new UsageException($"{option} must not be negative (got {value})");
    }
}
