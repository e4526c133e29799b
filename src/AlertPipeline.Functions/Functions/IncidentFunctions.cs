using System.Net;
using System.Text.Json;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Incidents;
using AlertPipeline.Functions.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;
using Microsoft.Extensions.Logging;

namespace AlertPipeline.Functions.Functions;

/// <summary>
/// Reads incidents (see docs/incidents.md) with a function key, and moves an incident's status with the admin key.
/// JSON via <see cref="AlertJson.Options"/>; errors as <c>application/problem+json</c>. Incident text comes from
/// telemetry: it is cleaned again by the views and escaped by the JSON writer.
/// </summary>
public sealed partial class IncidentFunctions(IIncidentStore store, TimeProvider time, ILogger<IncidentFunctions> logger)
{
    /// <summary>Most incidents one list returns.</summary>
    public const int MaxIncidents = 500;

    /// <summary>Most timeline entries one sandbox timeline returns.</summary>
    public const int MaxTimelineEntries = 5000;

    /// <summary>Most incidents of one sandbox whose timelines are merged (the latest ones).</summary>
    public const int MaxTimelineIncidents = 100;

    /// <summary>Largest status body accepted.</summary>
    public const int MaxStatusBytes = 8 * 1024;

    private const int DefaultIncidents = 50;
    private const int DefaultTimelineEntries = 1000;

    /// <summary><c>GET incidents[?sandbox=…][&amp;status=…][&amp;since=…][&amp;max=n]</c>: incidents, latest evidence first, without timelines.</summary>
    [Function("ListIncidents")]
    public async Task<HttpResponseData> ListAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "incidents")] HttpRequestData request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var sandbox = request.Query["sandbox"];
        if (sandbox is not null && !IncidentViews.IsSandboxId(sandbox))
        {
            return await HttpProblems.BadRequestAsync(request, $"sandbox must be 1 to {IncidentViews.MaxSandboxIdLength} characters without control characters", cancellationToken).ConfigureAwait(false);
        }

        IncidentStatus? status = null;
        if (request.Query["status"] is { } statusText)
        {
            if (!IncidentStatusText.TryParse(statusText, out var parsed))
            {
                return await HttpProblems.BadRequestAsync(request, "status must be open, acknowledged, contained or resolved", cancellationToken).ConfigureAwait(false);
            }

            status = parsed;
        }

        if (!QueryParameters.TryMax(request, DefaultIncidents, MaxIncidents, out var max) || !QueryParameters.TryTime(request, "since", out var since))
        {
            return await BadMaxOrSinceAsync(request, MaxIncidents, cancellationToken).ConfigureAwait(false);
        }

        // One more than asked, to say whether the list was cut.
        var incidents = await store.ListAsync(new IncidentQuery { SandboxId = sandbox, Status = status, Since = since, Max = max + 1 }, cancellationToken).ConfigureAwait(false);
        var view = new IncidentListView([.. incidents.Take(max).Select(IncidentSummaryView.Of)], incidents.Count > max);
        return await HttpProblems.JsonAsync(request, HttpStatusCode.OK, view, cancellationToken, options: AlertJson.Options).ConfigureAwait(false);
    }

    /// <summary><c>GET incidents/{id}</c>: one incident with its timeline, commands and notifications; 404 when there is none.</summary>
    [Function("GetIncident")]
    public async Task<HttpResponseData> GetAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "incidents/{id}")] HttpRequestData request, string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!IncidentIds.IsWellFormed(id))
        {
            return await BadIdAsync(request, cancellationToken).ConfigureAwait(false);
        }

        var incident = await store.GetAsync(id, cancellationToken).ConfigureAwait(false);
        return incident is null
            ? await NotFoundAsync(request, id, cancellationToken).ConfigureAwait(false)
            : await HttpProblems.JsonAsync(request, HttpStatusCode.OK, IncidentView.Of(incident), cancellationToken, options: AlertJson.Options).ConfigureAwait(false);
    }

    /// <summary>
    /// <c>GET sandboxes/{id}/timeline[?since=…][&amp;max=n]</c>: the timelines of the sandbox's latest incidents merged in
    /// time order, each entry naming its incident; <c>since</c> keeps entries at or after that time.
    /// </summary>
    [Function("GetSandboxTimeline")]
    public async Task<HttpResponseData> TimelineAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "sandboxes/{id}/timeline")] HttpRequestData request, string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!IncidentViews.IsSandboxId(id))
        {
            return await HttpProblems.BadRequestAsync(request, $"the sandbox id must be 1 to {IncidentViews.MaxSandboxIdLength} characters without control characters", cancellationToken).ConfigureAwait(false);
        }

        if (!QueryParameters.TryMax(request, DefaultTimelineEntries, MaxTimelineEntries, out var max) || !QueryParameters.TryTime(request, "since", out var since))
        {
            return await BadMaxOrSinceAsync(request, MaxTimelineEntries, cancellationToken).ConfigureAwait(false);
        }

        // Not filtered by the incidents' LastSeen: a status change is recorded at processing time, after the evidence.
        var incidents = await store.ListAsync(new IncidentQuery { SandboxId = id, Max = MaxTimelineIncidents }, cancellationToken).ConfigureAwait(false);
        var entries = incidents
            .SelectMany(i => i.Timeline.Select(e => (Incident: i, Entry: e)))
            .Where(x => since is null || x.Entry.Time >= since)
            .OrderBy(x => x.Entry.Time).ThenBy(x => x.Incident.Sequence)
            .Take(max + 1)
            .Select(x => TimelineEntryView.Of(x.Entry, x.Incident.IncidentId))
            .ToList();
        var view = new SandboxTimelineView(SafeText.Clean(id, IncidentViews.MaxSandboxIdLength), [.. entries.Take(max)], entries.Count > max);
        return await HttpProblems.JsonAsync(request, HttpStatusCode.OK, view, cancellationToken, options: AlertJson.Options).ConfigureAwait(false);
    }

    /// <summary>
    /// <c>POST incidents/{id}/status</c> with <c>{"status":"resolved","by":"…","note":"…"}</c>: moves the status forward
    /// and records it on the timeline (200 with the incident). Moving back (reopening) needs <c>"force":true</c>; without
    /// it the answer is 409 with the status the incident stays in.
    /// </summary>
    [Function("SetIncidentStatus")]
    public async Task<HttpResponseData> SetStatusAsync(
        [HttpTrigger(AuthorizationLevel.Admin, "post", Route = "incidents/{id}/status")] HttpRequestData request, string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!IncidentIds.IsWellFormed(id))
        {
            return await BadIdAsync(request, cancellationToken).ConfigureAwait(false);
        }

        var body = await HttpProblems.ReadBodyAsync(request, MaxStatusBytes, cancellationToken).ConfigureAwait(false);
        if (body is null)
        {
            return await HttpProblems.TooLargeAsync(request, MaxStatusBytes, cancellationToken).ConfigureAwait(false);
        }

        IncidentStatusRequest? change;
        try
        {
            change = JsonSerializer.Deserialize<IncidentStatusRequest>(body, HttpProblems.Json);
        }
        catch (JsonException e)
        {
            return await HttpProblems.BadRequestAsync(request, $"the body is not a status change: {e.Message}", cancellationToken).ConfigureAwait(false);
        }

        if (change is null || !IncidentStatusText.TryParse(change.Status, out var status))
        {
            return await HttpProblems.BadRequestAsync(request, "status must be open, acknowledged, contained or resolved", cancellationToken).ConfigureAwait(false);
        }

        var by = string.IsNullOrWhiteSpace(change.By) ? HttpProblems.Who(request) : change.By.Trim();
        var note = string.IsNullOrWhiteSpace(change.Note) ? null : change.Note.Trim();
        Incident? incident;
        try
        {
            incident = await IncidentStatusChanges.SetAsync(store, id, status, by, time.GetUtcNow(), note, cancellationToken, change.Force).ConfigureAwait(false);
        }
        catch (InvalidOperationException e)
        {
            return await HttpProblems.ProblemAsync(request, HttpStatusCode.Conflict, "incident-busy", "The incident kept changing", e.Message, cancellationToken).ConfigureAwait(false);
        }

        if (incident is null)
        {
            return await NotFoundAsync(request, id, cancellationToken).ConfigureAwait(false);
        }

        if (incident.Status != status)
        {
            var current = incident.Status.ToText();
            return await HttpProblems.ProblemAsync(request, HttpStatusCode.Conflict, "incident-status-backwards", "The status only moves forward",
                $"incident {id} is {current}; send \"force\": true to move it back to {status.ToText()}", cancellationToken).ConfigureAwait(false);
        }

        LogStatusChanged(id, status.ToText(), SafeText.Log(by), change.Force);
        return await HttpProblems.JsonAsync(request, HttpStatusCode.OK, IncidentView.Of(incident), cancellationToken, options: AlertJson.Options).ConfigureAwait(false);
    }

    private static Task<HttpResponseData> BadMaxOrSinceAsync(HttpRequestData request, int limit, CancellationToken cancellationToken)
        => HttpProblems.BadRequestAsync(request, $"max must be a number from 1 to {limit}; since an ISO 8601 time, e.g. 2025-11-14T03:00:00Z", cancellationToken);

    private static Task<HttpResponseData> BadIdAsync(HttpRequestData request, CancellationToken cancellationToken)
        => HttpProblems.BadRequestAsync(request, "an incident id is 'inc-' and 24 lower-case hex digits", cancellationToken);

    private static Task<HttpResponseData> NotFoundAsync(HttpRequestData request, string id, CancellationToken cancellationToken)
        => HttpProblems.ProblemAsync(request, HttpStatusCode.NotFound, "incident-not-found", "No such incident", $"incident {id} does not exist", cancellationToken);

    [LoggerMessage(EventId = 6021, Level = LogLevel.Information, Message = "Incident {IncidentId}: status {Status} by {Who} (force {Force})")]
    private partial void LogStatusChanged(string incidentId, string status, string who, bool force);
}
