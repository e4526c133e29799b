using System.Net;
using System.Text.Json;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Policy;
using AlertPipeline.Functions.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;
using Microsoft.Extensions.Logging;

namespace AlertPipeline.Functions.Functions;

/// <summary>
/// The response policy API over <see cref="IResponsePolicyStore"/>: read with a function key, write with the admin key,
/// errors as <c>application/problem+json</c>. See docs/response-policy.md.
/// </summary>
public sealed partial class ResponsePolicyFunctions(IResponsePolicyStore store, ResponsePolicyProvider provider, ILogger<ResponsePolicyFunctions> logger)
{
    /// <summary>Largest entry body accepted.</summary>
    public const int MaxEntryBytes = 64 * 1024;

    /// <summary>
    /// <c>GET policy</c>: every stored entry, with the problems of its stored version (if any) and how it stands in this
    /// instance (<c>active</c>, <c>broken-running-previous</c>, <c>broken</c>; <c>pending</c> until this instance reads it).
    /// </summary>
    [Function("ListResponsePolicy")]
    public async Task<HttpResponseData> ListAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "policy")] HttpRequestData request, CancellationToken cancellationToken)
    {
        var entries = await store.ListAsync(cancellationToken).ConfigureAwait(false);
        var states = provider.Statuses.ToDictionary(s => s.Id, StringComparer.Ordinal);
        var view = entries.Select(e => PolicyEntryView.Of(e, states.GetValueOrDefault(e.Id))).ToList();
        return await HttpProblems.JsonAsync(request, HttpStatusCode.OK, new PolicyListView(view), cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>PUT policy/{id}</c> with the entry as JSON: creates or replaces it (200 with its ETag), or 422 with every problem.</summary>
    [Function("PutResponsePolicy")]
    public async Task<HttpResponseData> PutAsync(
        [HttpTrigger(AuthorizationLevel.Admin, "put", Route = "policy/{id}")] HttpRequestData request, string id, CancellationToken cancellationToken)
    {
        var body = await HttpProblems.ReadBodyAsync(request, MaxEntryBytes, cancellationToken).ConfigureAwait(false);
        if (body is null)
        {
            return await HttpProblems.TooLargeAsync(request, MaxEntryBytes, cancellationToken).ConfigureAwait(false);
        }

        ResponsePolicyEntry? entry;
        string? shape;
        try
        {
            using var document = JsonDocument.Parse(body);
            shape = ResponsePolicyJson.TryReadEntry(document.RootElement, id, out entry);
        }
        catch (JsonException e)
        {
            return await HttpProblems.BadRequestAsync(request, $"the body is not JSON: {e.Message}", cancellationToken).ConfigureAwait(false);
        }

        if (shape is not null)
        {
            return await HttpProblems.BadRequestAsync(request, shape, cancellationToken).ConfigureAwait(false);
        }

        var problems = ResponsePolicy.Validate(entry!);
        if (problems.Count > 0)
        {
            return await HttpProblems.ProblemAsync(request, HttpStatusCode.UnprocessableEntity, "invalid-policy-entry", "The policy entry is not valid",
                problems.Count == 1 ? problems[0] : $"{problems.Count} problems", cancellationToken,
                [.. problems.Select(p => new ProblemError(null, 0, 0, SafeText.Clean(p)))]).ConfigureAwait(false);
        }

        var stored = await store.PutAsync(entry!, cancellationToken).ConfigureAwait(false);
        LogPolicyChanged(SafeText.Log(id), "put", SafeText.Log(HttpProblems.Who(request)));

        // This instance applies it now; the others within Pipeline__PolicyRefreshInterval.
        await provider.ReloadAsync(cancellationToken).ConfigureAwait(false);
        return await HttpProblems.JsonAsync(request, HttpStatusCode.OK, PolicyEntryView.Of(stored, null), cancellationToken, stored.ETag).ConfigureAwait(false);
    }

    /// <summary><c>DELETE policy/{id}</c>: 204, or 404 when there is no such entry.</summary>
    [Function("DeleteResponsePolicy")]
    public async Task<HttpResponseData> DeleteAsync(
        [HttpTrigger(AuthorizationLevel.Admin, "delete", Route = "policy/{id}")] HttpRequestData request, string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!await store.DeleteAsync(id, cancellationToken).ConfigureAwait(false))
        {
            return await HttpProblems.ProblemAsync(request, HttpStatusCode.NotFound, "policy-entry-not-found", "No such policy entry",
                $"policy entry {id} does not exist", cancellationToken).ConfigureAwait(false);
        }

        LogPolicyChanged(SafeText.Log(id), "delete", SafeText.Log(HttpProblems.Who(request)));
        await provider.ReloadAsync(cancellationToken).ConfigureAwait(false);
        return request.CreateResponse(HttpStatusCode.NoContent);
    }

    [LoggerMessage(EventId = 6011, Level = LogLevel.Information, Message = "Response policy entry {Id}: {Action} by {Who}")]
    private partial void LogPolicyChanged(string id, string action, string who);
}

/// <summary>The answer of <c>GET policy</c>.</summary>
/// <param name="Entries">Every stored entry, ordered by id.</param>
public sealed record PolicyListView(IReadOnlyList<PolicyEntryView> Entries);

/// <summary>One policy entry as the API shows it: the stored fields, its standing and the problems of the stored version.</summary>
public sealed record PolicyEntryView(
    string Id,
    string Level,
    string? RuleId,
    string? Team,
    string? Environment,
    IReadOnlyList<string> Channels,
    IReadOnlyList<string> Recipients,
    string? TemplateId,
    string Shutdown,
    string? ETag,
    string State,
    IReadOnlyList<string> Problems)
{
    /// <summary>The view of <paramref name="entry"/>; <paramref name="status"/> is this instance's reading of it, if any.</summary>
    public static PolicyEntryView Of(ResponsePolicyEntry entry, ResponsePolicyEntryStatus? status)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var problems = ResponsePolicy.Validate(entry);
        var state = status is null || status.ETag != entry.ETag
            ? (problems.Count == 0 ? "pending" : "broken")
            : status.State switch
            {
                ResponsePolicyEntryState.Active => "active",
                ResponsePolicyEntryState.BrokenRunningPrevious => "broken-running-previous",
                _ => "broken",
            };

        // Stored text is shown cleaned: a row can be edited by hand, and this answer may be rendered.
        return new PolicyEntryView(
            SafeText.Clean(entry.Id, 80), SafeText.Clean(entry.Level, 32), Clean(entry.RuleId), Clean(entry.Team), Clean(entry.Environment),
            [.. entry.Channels.Select(c => SafeText.Clean(c, 32))], [.. entry.Recipients.Select(r => SafeText.Clean(r, 254))],
            Clean(entry.TemplateId), entry.Shutdown is null ? "automatic" : SafeText.Clean(entry.Shutdown, 32), entry.ETag, state, problems);
    }

    private static string? Clean(string? value) => value is null ? null : SafeText.Clean(value, 128);
}
