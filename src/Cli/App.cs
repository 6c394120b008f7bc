namespace Lshk.Cli;

public static class App
{
    public static int Run(string[] args)
    {
        Console.WriteLine("lshk");
        return 0;
    }
}
