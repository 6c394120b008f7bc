namespace Lshk.Serve;

/// <summary>The page served at <c>/</c> (Page/index.html, embedded in the assembly: no build tooling, no files beside the server).</summary>
public static class WebPage
{
    public static string Html { get; } = Read();

    private static string Read()
    {
        using var stream = typeof(WebPage).Assembly.GetManifestResourceStream("Lshk.Serve.Page.index.html")
                           ?? throw new InvalidOperationException("the embedded page Lshk.Serve.Page.index.html is missing");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
