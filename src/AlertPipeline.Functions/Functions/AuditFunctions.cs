using System.Net;
using AlertPipeline.Core.Respond.Audit;
using AlertPipeline.Functions.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;

namespace AlertPipeline.Functions.Functions;

/// <summary>
/// Reads the audit trail (see docs/audit.md) with a function key: <c>GET audit?alertId=…</c> for one alert, or
/// <c>GET audit?sandboxId=…[&amp;since=…]</c> for one sandbox (default: the last 24 hours); <c>max</c> bounds the list.
/// Entries hold attacker-controlled text as recorded; the JSON writer escapes it (no raw HTML survives).
/// </summary>
public sealed class AuditFunctions(IAuditLog audit, TimeProvider time)
{
    /// <summary>Most entries one request returns.</summary>
    public const int MaxEntries = 1000;

    private const int DefaultEntries = 200;

    /// <summary><c>GET audit</c>.</summary>
    [Function("ListAudit")]
    public async Task<HttpResponseData> ListAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "audit")] HttpRequestData request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var alertId = request.Query["alertId"];
        var sandboxId = request.Query["sandboxId"];
        if (string.IsNullOrEmpty(alertId) == string.IsNullOrEmpty(sandboxId))
        {
            return await HttpProblems.BadRequestAsync(request, "give either alertId or sandboxId (with an optional since)", cancellationToken).ConfigureAwait(false);
        }

        if (!QueryParameters.TryMax(request, DefaultEntries, MaxEntries, out var max))
        {
            return await HttpProblems.BadRequestAsync(request, $"max must be a number from 1 to {MaxEntries}", cancellationToken).ConfigureAwait(false);
        }

        if (!QueryParameters.TryTime(request, "since", out var sinceGiven))
        {
            return await HttpProblems.BadRequestAsync(request, "since must be an ISO 8601 time, e.g. 2025-11-14T03:00:00Z", cancellationToken).ConfigureAwait(false);
        }

        var since = sinceGiven ?? time.GetUtcNow().AddDays(-1);

        // One more than asked, to say whether the list was cut.
        var entries = string.IsNullOrEmpty(alertId)
            ? await audit.ListBySandboxAsync(sandboxId!, since, max + 1, cancellationToken).ConfigureAwait(false)
            : await audit.ListByAlertAsync(alertId, max + 1, cancellationToken).ConfigureAwait(false);
        var view = new AuditListView([.. entries.Take(max).Select(AuditView.Of)], entries.Count > max);
        return await HttpProblems.JsonAsync(request, HttpStatusCode.OK, view, cancellationToken).ConfigureAwait(false);
    }
}
