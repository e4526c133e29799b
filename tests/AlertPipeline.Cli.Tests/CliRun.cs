namespace AlertPipeline.Cli.Tests;

/// <summary>Runs alertpipe in-process and captures what it prints.</summary>
internal sealed record CliRun(int ExitCode, string Stdout, string Stderr)
{
    public static async Task<CliRun> RunAsync(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await AlertPipeCli.RunAsync(args, stdout, stderr, CancellationToken.None);
        return new CliRun(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>The repository root (the folder holding AlertPipeline.sln).</summary>
    public static string RepoRoot { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "AlertPipeline.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("AlertPipeline.sln not found above " + AppContext.BaseDirectory);
    }
}
