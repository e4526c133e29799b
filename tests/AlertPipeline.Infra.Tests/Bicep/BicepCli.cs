using System.Diagnostics;
using System.Reflection;

namespace AlertPipeline.Infra.Tests.Bicep;

/// <summary>Runs the Bicep CLI restored from the Azure.Bicep.CommandLine.linux-x64 package (its path is baked in at build).</summary>
internal static class BicepCli
{
    private static readonly Lazy<string> Executable = new(FindExecutable);

    /// <summary>The repository root (where AlertPipeline.sln is).</summary>
    public static string RepositoryRoot { get; } = Metadata("RepositoryRoot");

    /// <summary>The infra folder.</summary>
    public static string InfraDirectory => Path.Combine(RepositoryRoot, "infra");

    /// <summary>Runs <c>bicep</c> with <paramref name="arguments"/>; returns the exit code and both streams.</summary>
    public static BicepRun Run(params string[] arguments)
    {
        var start = new ProcessStartInfo(Executable.Value)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = InfraDirectory,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // Offline by design: no registry modules, no telemetry, no update check.
        start.Environment["BICEP_TELEMETRY_ENABLED"] = "false";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var process = Process.Start(start) ?? throw new InvalidOperationException("bicep did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"bicep {string.Join(' ', arguments)} did not finish in 3 minutes");
        }

        return new BicepRun(process.ExitCode, stdout.Result, stderr.Result);
    }

    private static string FindExecutable()
    {
        var path = Path.Combine(Metadata("BicepPackagePath"), "tools", "bicep");
        if (!File.Exists(path))
        {
            throw new FileNotFoundException("The Bicep CLI was not restored with the Azure.Bicep.CommandLine.linux-x64 package.", path);
        }

        // NuGet extracts with the archive's mode; make sure the binary is executable for whoever runs the tests.
        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(path);
            const UnixFileMode execute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
            if ((mode & UnixFileMode.UserExecute) == 0)
            {
                File.SetUnixFileMode(path, mode | execute);
            }
        }

        return path;
    }

    private static string Metadata(string key)
        => typeof(BicepCli).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value
            ?? throw new InvalidOperationException($"assembly metadata {key} is missing");
}

/// <summary>One run of the CLI.</summary>
internal sealed record BicepRun(int ExitCode, string StandardOutput, string StandardError)
{
    /// <summary>Everything the run printed, for assertion messages.</summary>
    public string Output => StandardOutput + StandardError;
}
