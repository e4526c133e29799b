namespace AlertPipeline.Infra.Tests.Bicep;

/// <summary>Every Bicep and parameter file builds without a diagnostic, and the linter reports nothing.</summary>
[Collection(CompiledTemplatesCollection.Name)]
public sealed class BuildAndLintTests(CompiledTemplates templates)
{
    private static List<string> BicepFiles()
        => [.. Directory.GetFiles(BicepCli.InfraDirectory, "*.bicep", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(BicepCli.InfraDirectory, path))
            .Order(StringComparer.Ordinal)];

    [Fact]
    public void Infra_HasTheMainTemplateModulesAndBothEnvironments()
    {
        var files = BicepFiles();
        Assert.Contains("main.bicep", files);
        Assert.True(files.Count(f => f.StartsWith("modules", StringComparison.Ordinal)) >= 5, string.Join(", ", files));
        Assert.Equal(["dev.bicepparam", "prod.bicepparam"], templates.Parameters.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void EveryBicepFile_BuildsWithoutDiagnostics()
    {
        var outDir = Directory.CreateTempSubdirectory("alertpipeline-bicep-");
        try
        {
            var run = BicepCli.Run("build", "--pattern", "**/*.bicep", "--outdir", outDir.FullName);
            Assert.True(run.ExitCode == 0, run.Output);
            // Warnings are printed but do not change the exit code; any line is a failure here.
            Assert.True(run.Output.Trim().Length == 0, run.Output);
            foreach (var file in BicepFiles())
            {
                Assert.True(File.Exists(Path.Combine(outDir.FullName, Path.ChangeExtension(file, ".json"))), $"{file} produced no ARM JSON");
            }
        }
        finally
        {
            outDir.Delete(recursive: true);
        }
    }

    [Fact]
    public void EveryParameterFile_BuildsAgainstMain()
    {
        foreach (var (file, parameters) in templates.Parameters)
        {
            Assert.True(parameters["parameters"]!.AsObject().ContainsKey("namePrefix"), file);
        }
    }

    [Theory]
    [InlineData("**/*.bicep")]
    [InlineData("**/*.bicepparam")]
    public void Lint_ReportsNothing(string pattern)
    {
        var run = BicepCli.Run("lint", "--pattern", pattern);
        Assert.True(run.ExitCode == 0 && run.Output.Trim().Length == 0, $"bicep lint {pattern}:\n{run.Output}");
    }

    [Fact]
    public void Lint_ReportsAWarning_SoTheCheckAboveCanFail()
    {
        var dir = Directory.CreateTempSubdirectory("alertpipeline-lint-");
        try
        {
            var file = Path.Combine(dir.FullName, "bad.bicep");
            File.WriteAllText(file, "param unused string\noutput url string = 'https://management.azure.com/'\n");
            var run = BicepCli.Run("lint", file);
            Assert.Contains("no-unused-params", run.Output, StringComparison.Ordinal);
            Assert.Contains("no-hardcoded-env-urls", run.Output, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
