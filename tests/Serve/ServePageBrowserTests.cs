using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Interactions;
using OpenQA.Selenium.Support.UI;

namespace Lshk.Tests.Serve;

/// <summary>
/// The page at <c>/</c> in a real browser: Debian's Chromium, headless, driven by its ChromeDriver through Selenium. It
/// draws a stroke on the canvas, enrols it as a new class, classifies the same drawing and sees that class first.
/// </summary>
public sealed class ServePageBrowserTests
{
    private const string Chromium = "/usr/bin/chromium";
    private const string DriverFolder = "/usr/bin";
    private const string Driver = "chromedriver";
    private const int Bits = 256;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ADrawnStrokeIsEnrolledAndThenClassifiedAsItsClass()
    {
        await using var serve = await ServeFixture.StartAsync();
        using var profile = new Lshk.Tests.Cli.TempFolder();
        var options = new ChromeOptions { BinaryLocation = Chromium };
        options.AddArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", $"--user-data-dir={profile.Path}");
        using var service = ChromeDriverService.CreateDefaultService(DriverFolder, Driver);
        service.SuppressInitialDiagnosticInformation = true;
        using var browser = new ChromeDriver(service, options, Patience);
        browser.Navigate().GoToUrl(serve.Server.Address);
        var wait = new WebDriverWait(browser, Patience);

        // A stroke: press at the pad's centre, move in a few steps, release.
        var pad = browser.FindElement(By.Id("pad"));
        new Actions(browser).MoveToElement(pad).ClickAndHold().MoveByOffset(40, 10).MoveByOffset(10, 50).MoveByOffset(-60, 20).Release().Perform();

        browser.FindElement(By.Id("name")).SendKeys("my stroke");
        browser.FindElement(By.Id("enrol")).Click();
        wait.Until(b => b.FindElement(By.Id("status")).Text.StartsWith("enrolled my stroke (1 examples)", StringComparison.Ordinal));
        wait.Until(b => b.FindElement(By.Id("classes")).Text.Contains("my stroke (1)", StringComparison.Ordinal));

        browser.FindElement(By.Id("classify")).Click();
        wait.Until(b => b.FindElement(By.Id("status")).Text == "classified");
        Assert.Equal("my stroke", browser.FindElement(By.Id("answer")).Text);
        // The same canvas gives the same PNG, so its code agrees with the enrolled one in every bit.
        Assert.Equal($"my stroke {Bits}", browser.FindElements(By.CssSelector("#results li"))[0].Text);

        // The server holds what the page enrolled.
        var classes = await ServeFixture.Json(await serve.GetAsync("/v1/classes"));
        Assert.Equal("my stroke", classes.GetProperty("classes")[0].GetProperty("name").GetString());
    }
}
