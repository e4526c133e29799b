using System.Text.Json;
using AlertPipeline.Adapters.Respond;
using AlertPipeline.Adapters.Tests.Storage;
using AlertPipeline.Core.Respond.Audit;
using Azure.Data.Tables;

namespace AlertPipeline.Cli.Tests.Commands;

/// <summary><c>audit list</c> against the Table on Azurite.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class AuditCommandTests(AzuriteFixture azurite)
{
    // Ids no other test uses: the Azurite account and its 'audit' table are shared.
    private readonly string _alert = "alert-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _sandbox = "sbx-" + Guid.NewGuid().ToString("N")[..8];

    private async Task SeedAsync()
    {
        var log = new TableAuditLog(new TableServiceClient(azurite.ConnectionString));
        var now = DateTimeOffset.UtcNow;
        await log.RecordAsync(new AuditEntry
        {
            EntryId = _alert + "-2", At = now.AddMinutes(-1), Kind = AuditKind.ControllerOutcome, AlertId = _alert, SandboxId = _sandbox,
            Action = "shutdown", Outcome = "done", Actor = "controller:host-a", Detail = "hook exit 0\r\nFAKE LINE \u001b[31m",
        }, CancellationToken.None);
        await log.RecordAsync(new AuditEntry
        {
            EntryId = _alert + "-1", At = now.AddMinutes(-2), Kind = AuditKind.Command, AlertId = _alert, SandboxId = _sandbox,
            Action = "shutdown", Outcome = "sent", Detail = "attempt 1: shutdown command on sandbox-commands",
        }, CancellationToken.None);
        await log.RecordAsync(new AuditEntry
        {
            EntryId = _alert + "-old", At = now.AddDays(-3), Kind = AuditKind.Notification, AlertId = "older-" + _alert, SandboxId = _sandbox,
            Action = "email", Outcome = "sent",
        }, CancellationToken.None);
    }

    [Fact]
    public async Task By_alert_prints_one_clean_line_per_entry_oldest_first()
    {
        await SeedAsync();

        var run = await CliRun.RunAsync("audit", "list", "--alert", _alert, "--storage", azurite.ConnectionString);

        Assert.Equal(0, run.ExitCode);
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Contains("command", lines[0], StringComparison.Ordinal);
        Assert.Contains("shutdown=sent", lines[0], StringComparison.Ordinal);
        Assert.Contains("controller-outcome", lines[1], StringComparison.Ordinal);
        Assert.Contains("controller:host-a", lines[1], StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', run.Stdout);
        Assert.DoesNotContain('\r', run.Stdout);
    }

    [Fact]
    public async Task By_sandbox_since_prints_json_lines_and_the_default_window_is_a_day()
    {
        await SeedAsync();

        var all = await CliRun.RunAsync("audit", "list", "--sandbox", _sandbox, "--since", DateTimeOffset.UtcNow.AddDays(-7).ToString("O"),
            "--storage", azurite.ConnectionString, "--output", "json");
        var lastDay = await CliRun.RunAsync("audit", "list", "--sandbox", _sandbox, "--storage", azurite.ConnectionString, "--output", "json");

        Assert.Equal(0, all.ExitCode);
        var entries = all.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal([_alert + "-old", _alert + "-1", _alert + "-2"], entries.Select(e => e.GetProperty("entryId").GetString()));
        Assert.Equal("controller-outcome", entries[2].GetProperty("kind").GetString());
        Assert.Equal("hook exit 0\r\nFAKE LINE \u001b[31m", entries[2].GetProperty("detail").GetString());
        Assert.Equal(2, lastDay.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Theory]
    [InlineData("audit", "list", "--storage", "x")]
    [InlineData("audit", "list", "--alert", "a", "--sandbox", "s", "--storage", "x")]
    [InlineData("audit", "list", "--alert", "a", "--since", "2025-01-01", "--storage", "x")]
    [InlineData("audit", "list", "--sandbox", "s", "--since", "yesterday", "--storage", "x")]
    [InlineData("audit", "list", "--alert", "a")]
    [InlineData("audit", "show", "--alert", "a", "--storage", "x")]
    public async Task Bad_arguments_exit_2(params string[] args)
        => Assert.Equal(2, (await CliRun.RunAsync(args)).ExitCode);
}
