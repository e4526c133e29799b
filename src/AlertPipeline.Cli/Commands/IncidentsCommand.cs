using System.Globalization;
using System.Text.Json;
using AlertPipeline.Adapters;
using AlertPipeline.Cli.Replay;
using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Incidents;
using Microsoft.Extensions.DependencyInjection;

namespace AlertPipeline.Cli.Commands;

/// <summary>
/// <c>alertpipe incidents list|show|acknowledge|resolve</c>: reads incidents from Table Storage, and moves their status
/// (forward only, recorded on the timeline) like <c>POST /api/incidents/{id}/status</c>.
/// </summary>
/// <param name="stdout">Where results go.</param>
/// <param name="stderr">Where a missing incident is reported.</param>
/// <param name="time">The clock of status changes.</param>
/// <param name="store">Tests: the store to use instead of the one <c>--storage</c> configures (<c>--storage</c> is still required).</param>
internal sealed class IncidentsCommand(TextWriter stdout, TextWriter stderr, TimeProvider? time = null, IIncidentStore? store = null)
{
    public const string Usage = """
        usage: alertpipe incidents list [--sandbox <id>] [--status open|acknowledged|contained|resolved] [--since <time>]
                                        [--max <n>] [--output table|json] --storage <connection string|https table URL>
               alertpipe incidents show <incident id> [--output text|json] --storage <...>
               alertpipe incidents acknowledge|resolve <incident id> --by <name> [--note <text>] --storage <...>

        list: incidents, latest evidence first (default at most 50); --since takes ISO 8601 or an age (30m, 6h, 2d) and
        keeps incidents with evidence since then. show: the incident's story, a header then its timeline one line per
        entry. --output json prints one object per line (incidentId, sandboxId, status, level, levelReasons, techniques,
        alertIds, runIds, episodeIds, firstSeen, lastSeen, timeline). acknowledge|resolve move the status forward (never
        back) and record who and why on the timeline. Text is cleaned for the terminal.
        Exit 0 (list also when there is nothing), 1 when the incident does not exist, 2 for bad arguments.
        """;

    private const int MaxIncidents = 10_000;

    public async Task<int> RunAsync(IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var parsed = new CliArguments(args, new HashSet<string> { "sandbox", "status", "since", "max", "output", "storage", "by", "note" }, new HashSet<string>());
        var storage = parsed.Value("storage") ?? throw new UsageException("--storage <connection string> is required");
        var run = parsed.Positionals switch
        {
            ["list"] => (Func<IIncidentStore, Task<int>>)(s => ListAsync(s, parsed, cancellationToken)),
            ["show", var id] => s => ShowAsync(s, Id(id), parsed, cancellationToken),
            ["acknowledge", var id] => s => SetStatusAsync(s, Id(id), IncidentStatus.Acknowledged, parsed, cancellationToken),
            ["resolve", var id] => s => SetStatusAsync(s, Id(id), IncidentStatus.Resolved, parsed, cancellationToken),
            _ => throw new UsageException("expected: incidents list | incidents show <id> | incidents acknowledge|resolve <id> --by <name>"),
        };
        Only(parsed, parsed.Positionals[0] switch
        {
            "list" => ["sandbox", "status", "since", "max", "output"],
            "show" => ["output"],
            _ => ["by", "note"],
        });

        if (store is not null)
        {
            return await run(store).ConfigureAwait(false);
        }

        await using var services = new ServiceCollection().AddAlertPipeline(RulesCommand.StorageConfiguration(storage)).BuildServiceProvider();
        var configured = services.GetService<IIncidentStore>();
        if (configured is null)
        {
            await stderr.WriteLineAsync("alertpipe: this build registers no incident store (IIncidentStore): incident tracking is not composed").ConfigureAwait(false);
            return 1;
        }

        if (configured is InMemoryIncidentStore)
        {
            throw new UsageException("--storage did not configure Table storage");
        }

        return await run(configured).ConfigureAwait(false);
    }

    private async Task<int> ListAsync(IIncidentStore incidents, CliArguments parsed, CancellationToken cancellationToken)
    {
        var output = parsed.Value("output") ?? "table";
        if (output is not ("table" or "json"))
        {
            throw new UsageException($"--output must be table or json, not '{output}'");
        }

        IncidentStatus? status = null;
        if (parsed.Value("status") is { } statusText)
        {
            status = IncidentStatusText.TryParse(statusText, out var value)
                ? value
                : throw new UsageException($"--status must be open, acknowledged, contained or resolved, not '{statusText}'");
        }

        var max = 50;
        if (parsed.Value("max") is { } maxText && (!int.TryParse(maxText, NumberStyles.None, CultureInfo.InvariantCulture, out max) || max is < 1 or > MaxIncidents))
        {
            throw new UsageException($"--max must be a number from 1 to {MaxIncidents}");
        }

        var since = parsed.Value("since") is { } sinceText ? DeadLetterCommand.ParseSince(sinceText, (time ?? TimeProvider.System).GetUtcNow()) : (DateTimeOffset?)null;
        var list = await incidents.ListAsync(new IncidentQuery { SandboxId = parsed.Value("sandbox"), Status = status, Since = since, Max = max }, cancellationToken).ConfigureAwait(false);
        if (output == "json")
        {
            foreach (var incident in list)
            {
                await stdout.WriteLineAsync(Json(incident)).ConfigureAwait(false);
            }

            return 0;
        }

        if (list.Count == 0)
        {
            await stdout.WriteLineAsync("No incidents.").ConfigureAwait(false);
            return 0;
        }

        await stdout.WriteLineAsync($"{"LAST SEEN (UTC)",-20} {"LEVEL",-8} {"STATUS",-12} {"SANDBOX",-16} {"ALERTS",6}  {"TECHNIQUES",-24} INCIDENT").ConfigureAwait(false);
        foreach (var incident in list)
        {
            var techniques = incident.Techniques.Count == 0 ? "-" : string.Join(',', incident.Techniques.Select(t => IncidentStory.Clean(t, 16)));
            await stdout.WriteLineAsync(
                $"{incident.LastSeen.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),-20} {incident.Level.ToSigma(),-8} {IncidentStory.Text(incident.Status),-12} "
                + $"{Cut(incident.SandboxId, 16),-16} {incident.AlertIds.Count,6}  {Cut(techniques, 24),-24} {IncidentStory.Clean(incident.IncidentId, 64)}").ConfigureAwait(false);
        }

        return 0;
    }

    private async Task<int> ShowAsync(IIncidentStore incidents, string id, CliArguments parsed, CancellationToken cancellationToken)
    {
        var output = parsed.Value("output") ?? "text";
        if (output is not ("text" or "json"))
        {
            throw new UsageException($"--output must be text or json, not '{output}'");
        }

        if (await incidents.GetAsync(id, cancellationToken).ConfigureAwait(false) is not { } incident)
        {
            await stderr.WriteLineAsync($"alertpipe: no incident {id}").ConfigureAwait(false);
            return 1;
        }

        if (output == "json")
        {
            await stdout.WriteLineAsync(Json(incident)).ConfigureAwait(false);
        }
        else
        {
            await IncidentStory.WriteAsync(stdout, incident).ConfigureAwait(false);
        }

        return 0;
    }

    private async Task<int> SetStatusAsync(IIncidentStore incidents, string id, IncidentStatus status, CliArguments parsed, CancellationToken cancellationToken)
    {
        var by = parsed.Value("by");
        if (string.IsNullOrWhiteSpace(by))
        {
            throw new UsageException("--by <name> is required: the timeline records who changed the status");
        }

        var note = string.IsNullOrWhiteSpace(parsed.Value("note")) ? null : parsed.Value("note")!.Trim();
        var incident = await IncidentStatusChanges.SetAsync(incidents, id, status, by.Trim(), (time ?? TimeProvider.System).GetUtcNow(), note, cancellationToken).ConfigureAwait(false);
        if (incident is null)
        {
            await stderr.WriteLineAsync($"alertpipe: no incident {id}").ConfigureAwait(false);
            return 1;
        }

        // Status only moves forward: resolving a resolved incident, or acknowledging a contained one, changes nothing.
        var now = IncidentStory.Text(incident.Status);
        await stdout.WriteLineAsync(incident.Status == status
            ? $"{id}: {now}"
            : $"{id}: still {now} (status only moves forward)").ConfigureAwait(false);
        return 0;
    }

    private static string Id(string id) => IncidentIds.IsWellFormed(id)
        ? id
        : throw new UsageException($"'{IncidentStory.Clean(id, 64)}' is not an incident id ('inc-' and 24 lower-case hex digits)");

    private static void Only(CliArguments parsed, IReadOnlyList<string> allowed)
    {
        foreach (var option in new[] { "sandbox", "status", "since", "max", "output", "by", "note" })
        {
            if (parsed.Has(option) && !allowed.Contains(option))
            {
                throw new UsageException($"--{option} does not go with incidents {parsed.Positionals[0]}");
            }
        }
    }

    // System.Text.Json escapes control characters and HTML-sensitive ones, so a JSON line stays one inert line.
    private static string Json(Incident incident) => JsonSerializer.Serialize(IncidentLine.From(incident), AlertJson.Options);

    private static string Cut(string text, int width)
    {
        var clean = IncidentStory.Clean(text, width);
        return clean.Length > width ? clean[..(width - 1)] + "…" : clean;
    }
}
