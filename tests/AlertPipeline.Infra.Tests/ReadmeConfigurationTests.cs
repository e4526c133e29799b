using AlertPipeline.Adapters;
using AlertPipeline.Infra.Tests.Bicep;

namespace AlertPipeline.Infra.Tests;

/// <summary>The README's configuration table documents every app setting in the code's list.</summary>
public sealed class ReadmeConfigurationTests
{
    /// <summary>Names of <paramref name="settings"/> that <paramref name="readme"/> does not mention (a family by its prefix).</summary>
    internal static IReadOnlyList<string> Undocumented(IEnumerable<AppSetting> settings, string readme)
        => [.. settings
            .Select(s => s.Kind == AppSettingKind.Family ? s.Name + "__" : s.Name)
            .Where(name => !readme.Contains($"`{name}", StringComparison.Ordinal))];

    [Fact]
    public void EverySetting_IsInTheReadme()
    {
        var readme = File.ReadAllText(Path.Combine(BicepCli.RepositoryRoot, "README.md"));
        Assert.Empty(Undocumented(AppSettings.All, readme));
    }

    [Fact]
    public void AnUndocumentedSetting_IsReported()
    {
        var readme = File.ReadAllText(Path.Combine(BicepCli.RepositoryRoot, "README.md"));
        Assert.Equal(["Pipeline__NotARealSetting"], Undocumented([.. AppSettings.All, new AppSetting("Pipeline:NotARealSetting", AppSettingKind.Value)], readme));
    }
}
