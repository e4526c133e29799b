namespace AlertPipeline.Cli.Tests.Commands;

/// <summary>The hub commands' argument handling; what they do is tested in AlertPipeline.Shipper.Tests over a mocked producer.</summary>
public sealed class HubCommandsTests
{
    private const string ConnectionString = "Endpoint=sb://127.0.0.1/;SharedAccessKeyName=k;SharedAccessKey=c2VjcmV0";

    [Theory]
    [InlineData("ship", "--namespace", "ns")]
    [InlineData("send", "--namespace", "ns", "x.jsonl")]
    [InlineData("tail", "--namespace", "ns")]
    public async Task A_namespace_without_a_hub_is_a_usage_error(params string[] args)
    {
        var run = await CliRun.RunAsync(args);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--namespace needs --hub", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Both_a_connection_string_and_a_namespace_is_a_usage_error()
    {
        var run = await CliRun.RunAsync("tail", "--connection-string", ConnectionString, "--namespace", "ns", "--hub", "h");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("not both", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ship_needs_a_file_or_stdin_and_a_valid_spool_cap()
    {
        var none = await CliRun.RunAsync("ship", "--connection-string", ConnectionString, "--hub", "h");
        var cap = await CliRun.RunAsync("ship", "f.jsonl", "--connection-string", ConnectionString, "--hub", "h", "--spool-max-bytes", "12");

        Assert.Equal(2, none.ExitCode);
        Assert.Contains("at least one file", none.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, cap.ExitCode);
        Assert.Contains("--spool-max-bytes", cap.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_refuses_a_missing_file_before_connecting()
    {
        var run = await CliRun.RunAsync("send", "no-such-file.jsonl", "--connection-string", ConnectionString, "--hub", "h");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("cannot read no-such-file.jsonl", run.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ship")]
    [InlineData("send")]
    [InlineData("tail")]
    public async Task Each_command_has_help(string command)
    {
        var run = await CliRun.RunAsync(command, "--help");

        Assert.Equal(0, run.ExitCode);
        Assert.StartsWith($"usage: alertpipe {command}", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ship_once_with_the_hub_unreachable_spools_everything_saves_positions_and_exits_1()
    {
        // The real producer against a loopback address where nothing listens: connection refused, quickly.
        var dir = Path.Combine(Path.GetTempPath(), "alertpipe-ship-cli-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var log = Path.Combine(dir, "telemetry.jsonl");
            var sample = Path.Combine(CliRun.RepoRoot, "samples", "rome-incident", "sandbox-telemetry.jsonl");
            File.Copy(sample, log);
            var spool = Path.Combine(dir, "spool");

            var run = await CliRun.RunAsync("ship", log, "--once", "--spool", spool, "--heartbeat", "0",
                "--connection-string", ConnectionString, "--hub", "sandbox-telemetry");

            var lines = File.ReadLines(sample).Count(l => l.Trim().Length > 0);
            Assert.Equal(1, run.ExitCode);
            Assert.Contains("hub unreachable", run.Stderr, StringComparison.Ordinal);
            Assert.Contains($"spooled: {lines},", run.Stderr, StringComparison.Ordinal);
            Assert.Contains("dropped (spool full): 0", run.Stderr, StringComparison.Ordinal);
            Assert.NotEmpty(Directory.GetFiles(spool, "*.spool"));
            Assert.Contains($"\"offset\":{new FileInfo(log).Length}", File.ReadAllText(Path.Combine(spool, "positions.json")), StringComparison.Ordinal);
            Assert.DoesNotContain("c2VjcmV0", run.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
