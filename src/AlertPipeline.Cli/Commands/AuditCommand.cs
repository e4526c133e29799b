using System.Globalization;
using System.Text.Json;
using AlertPipeline.Adapters;
using AlertPipeline.Adapters.Respond;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Audit;
using Microsoft.Extensions.DependencyInjection;

namespace AlertPipeline.Cli.Commands;

/// <summary><c>alertpipe audit list</c>: reads the audit trail (Table <c>audit</c>) of one alert or one sandbox.</summary>
internal sealed class AuditCommand(TextWriter stdout, TimeProvider? time = null)
{
    public const string Usage = """
        usage: alertpipe audit list (--alert <id> | --sandbox <id> [--since <time>]) --storage <connection string|https table URL>
                                    [--max <n>] [--output table|json]

        Prints the audit entries (notifications, commands, approvals, controller outcomes) of one alert, or of one
        sandbox since a time (ISO 8601, default the last 24 hours), oldest first. --output json prints one object per
        line (entryId, at, kind, alertId, sandboxId, action, outcome, actor, detail). Text is cleaned for the terminal.
        Exit 0 (also when there is nothing), 2 for bad arguments.
        """;

    private const int MaxEntries = 10_000;

    public async Task<int> RunAsync(IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var parsed = new CliArguments(args, new HashSet<string> { "alert", "sandbox", "since", "storage", "max", "output" }, new HashSet<string>());
        if (parsed.Positionals is not ["list"])
        {
            throw new UsageException("expected: audit list (--alert <id> | --sandbox <id> [--since <time>]) --storage <connection string>");
        }

        var alert = parsed.Value("alert");
        var sandbox = parsed.Value("sandbox");
        if ((alert is null) == (sandbox is null))
        {
            throw new UsageException("give either --alert <id> or --sandbox <id>");
        }

        if (alert is not null && parsed.Value("since") is not null)
        {
            throw new UsageException("--since goes with --sandbox");
        }

        var output = parsed.Value("output") ?? "table";
        if (output is not ("table" or "json"))
        {
            throw new UsageException($"--output must be table or json, not '{output}'");
        }

        var max = 500;
        if (parsed.Value("max") is { } maxText && (!int.TryParse(maxText, NumberStyles.None, CultureInfo.InvariantCulture, out max) || max is < 1 or > MaxEntries))
        {
            throw new UsageException($"--max must be a number from 1 to {MaxEntries}");
        }

        var since = (time ?? TimeProvider.System).GetUtcNow().AddDays(-1);
        if (parsed.Value("since") is { } sinceText
            && !DateTimeOffset.TryParse(sinceText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out since))
        {
            throw new UsageException($"--since must be an ISO 8601 time, not '{sinceText}'");
        }

        var storage = parsed.Value("storage") ?? throw new UsageException("--storage <connection string> is required");
        await using var services = new ServiceCollection().AddAlertPipeline(RulesCommand.StorageConfiguration(storage)).BuildServiceProvider();
        if (services.GetRequiredService<IAuditLog>() is not TableAuditLog audit)
        {
            throw new UsageException("--storage did not configure Table storage");
        }

        var entries = alert is not null
            ? await audit.ListByAlertAsync(alert, max, cancellationToken).ConfigureAwait(false)
            : await audit.ListBySandboxAsync(sandbox!, since, max, cancellationToken).ConfigureAwait(false);
        foreach (var entry in entries)
        {
            await stdout.WriteLineAsync(output == "json" ? Json(entry) : Line(entry)).ConfigureAwait(false);
        }

        return 0;
    }

    // System.Text.Json escapes control characters and HTML-sensitive ones, so a JSON line stays one inert line.
    private static string Json(AuditEntry entry) => JsonSerializer.Serialize(entry, AlertJson.Options);

    private static string Line(AuditEntry entry) => string.Join("  ",
        entry.At.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
        JsonNamingPolicy.KebabCaseLower.ConvertName(entry.Kind.ToString()),
        SafeText.Clean(entry.AlertId, 64),
        SafeText.Clean(entry.SandboxId, 64),
        SafeText.Clean(entry.Action, 32) + "=" + SafeText.Clean(entry.Outcome, 32),
        SafeText.Clean(entry.Actor, 64),
        SafeText.Clean(entry.Detail, 300));
}
