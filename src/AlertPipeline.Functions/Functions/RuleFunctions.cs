using System.Net;
using System.Text;
using System.Text.Json;
using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Detect.Management;
using AlertPipeline.Core.Events;
using AlertPipeline.Core.Respond;
using AlertPipeline.Functions.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;
using Microsoft.Extensions.Logging;

namespace AlertPipeline.Functions.Functions;

/// <summary>
/// The rule management API over <see cref="RuleManager"/>: reads with a function key, writes with the admin key and a
/// precondition (<c>If-Match</c>, or <c>If-None-Match: *</c> to create), errors as <c>application/problem+json</c>.
/// See docs/rules.md.
/// </summary>
public sealed partial class RuleFunctions(RuleManager manager, ILogger<RuleFunctions> logger)
{
    /// <summary>Largest rule body accepted: the longest stored YAML (32K characters) as UTF-8, with room to spare.</summary>
    public const int MaxRuleBytes = 128 * 1024;

    /// <summary>Largest test body accepted (a rule plus sample telemetry).</summary>
    public const int MaxTestBytes = 1024 * 1024;

    /// <summary>Most history entries one request returns.</summary>
    public const int MaxHistory = 500;

    private const int DefaultHistory = 50;

    /// <summary><c>GET rules[?pack=name]</c>: every rule (without YAML), ordered by pack and id.</summary>
    [Function("ListRules")]
    public async Task<HttpResponseData> ListAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "rules")] HttpRequestData request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var pack = request.Query["pack"];
        var rules = await manager.ListAsync(string.IsNullOrEmpty(pack) ? null : pack, cancellationToken).ConfigureAwait(false);
        var health = await manager.HealthAsync(string.IsNullOrEmpty(pack) ? null : pack, cancellationToken).ConfigureAwait(false);
        return await HttpProblems.JsonAsync(request, HttpStatusCode.OK, new RuleListView([.. rules.Select(r => RuleView.Of(r, withYaml: false, health.GetValueOrDefault((r.Pack, r.Id))))]), cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>GET rules/{pack}/{id}</c>: one rule with its YAML; its ETag in the <c>ETag</c> header.</summary>
    [Function("GetRule")]
    public async Task<HttpResponseData> GetAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "rules/{pack}/{id}")] HttpRequestData request,
        string pack, string id, CancellationToken cancellationToken)
    {
        var rule = await manager.GetAsync(pack, id, cancellationToken).ConfigureAwait(false);
        if (rule is null)
        {
            return await HttpProblems.NotFoundAsync(request, pack, id, cancellationToken).ConfigureAwait(false);
        }

        var health = await manager.HealthAsync(pack, cancellationToken).ConfigureAwait(false);
        return await HttpProblems.JsonAsync(request, HttpStatusCode.OK, RuleView.Of(rule, withYaml: true, health.GetValueOrDefault((rule.Pack, rule.Id))), cancellationToken, rule.ETag).ConfigureAwait(false);
    }

    /// <summary><c>GET rules/{pack}/{id}/history[?max=n]</c>: the rule's changes, newest first (also after a delete).</summary>
    [Function("GetRuleHistory")]
    public async Task<HttpResponseData> HistoryAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "rules/{pack}/{id}/history")] HttpRequestData request,
        string pack, string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!QueryParameters.TryMax(request, DefaultHistory, MaxHistory, out var max))
        {
            return await HttpProblems.BadRequestAsync(request, $"max must be a number from 1 to {MaxHistory}", cancellationToken).ConfigureAwait(false);
        }

        var changes = await manager.HistoryAsync(pack, id, max, cancellationToken).ConfigureAwait(false);
        var view = new RuleHistoryView(pack, id, [.. changes.Select(c => new RuleChangeView(c.At, c.Who, c.Action.ToText(), RuleStateView.Of(c.Before), RuleStateView.Of(c.After)))]);
        return await HttpProblems.JsonAsync(request, HttpStatusCode.OK, view, cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>POST rules/validate</c> with the YAML as body: 200 with the rule's id, title and level, or 422 with every problem.</summary>
    [Function("ValidateRule")]
    public async Task<HttpResponseData> ValidateAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "rules/validate")] HttpRequestData request, CancellationToken cancellationToken)
    {
        var body = await HttpProblems.ReadBodyAsync(request, MaxRuleBytes, cancellationToken).ConfigureAwait(false);
        if (body is null)
        {
            return await HttpProblems.TooLargeAsync(request, MaxRuleBytes, cancellationToken).ConfigureAwait(false);
        }

        var validation = manager.CheckWithPlaceholders(Text(body));
        return validation.IsValid
            ? await HttpProblems.JsonAsync(request, HttpStatusCode.OK, new ValidationView(true, validation.Id!, validation.Title!, validation.Level!), cancellationToken).ConfigureAwait(false)
            : await HttpProblems.InvalidRuleAsync(request, validation.Problems, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// <c>POST rules/test</c> with <c>{"yaml": "...", "sample": ...}</c>: which sample events the rule matches. The sample
    /// is telemetry as a hub would carry it, either a JSON value (an ECS event, an array, a firewall envelope) or a
    /// string (e.g. JSON lines). Nothing is stored and no alert is raised.
    /// </summary>
    [Function("TestRule")]
    public async Task<HttpResponseData> TestAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "rules/test")] HttpRequestData request, CancellationToken cancellationToken)
    {
        var body = await HttpProblems.ReadBodyAsync(request, MaxTestBytes, cancellationToken).ConfigureAwait(false);
        if (body is null)
        {
            return await HttpProblems.TooLargeAsync(request, MaxTestBytes, cancellationToken).ConfigureAwait(false);
        }

        string? yaml = null;
        byte[]? sample = null;
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                if (document.RootElement.TryGetProperty("yaml", out var yamlElement) && yamlElement.ValueKind == JsonValueKind.String)
                {
                    yaml = yamlElement.GetString();
                }

                if (document.RootElement.TryGetProperty("sample", out var sampleElement))
                {
                    sample = sampleElement.ValueKind == JsonValueKind.String
                        ? Encoding.UTF8.GetBytes(sampleElement.GetString()!)
                        : Encoding.UTF8.GetBytes(sampleElement.GetRawText());
                }
            }
        }
        catch (JsonException e)
        {
            return await HttpProblems.BadRequestAsync(request, $"the body is not JSON: {e.Message}", cancellationToken).ConfigureAwait(false);
        }

        if (yaml is null || sample is null)
        {
            return await HttpProblems.BadRequestAsync(request, "the body must be a JSON object with \"yaml\" (a string) and \"sample\"", cancellationToken).ConfigureAwait(false);
        }

        var result = await manager.TestAsync(yaml, [new TelemetryMessage(sample, "sample", 0, DateTimeOffset.UtcNow)], null, cancellationToken).ConfigureAwait(false);
        if (!result.IsValid)
        {
            return await HttpProblems.InvalidRuleAsync(request, result.Problems, cancellationToken).ConfigureAwait(false);
        }

        var view = new RuleTestView(result.RuleId!, result.MatchCount > 0, result.Events, result.MatchCount, result.Matches, result.Rejected);
        return await HttpProblems.JsonAsync(request, HttpStatusCode.OK, view, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// <c>PUT rules/{pack}/{id}[?mode=enforce|dry-run]</c> with the YAML as body: <c>If-None-Match: *</c> creates (201),
    /// <c>If-Match: &lt;etag&gt;</c> replaces the version read (200). 428 without either, 412 when stale or taken.
    /// </summary>
    [Function("PutRule")]
    public async Task<HttpResponseData> PutAsync(
        [HttpTrigger(AuthorizationLevel.Admin, "put", Route = "rules/{pack}/{id}")] HttpRequestData request,
        string pack, string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var ifMatch = HttpProblems.Header(request, "If-Match");
        var ifNoneMatch = HttpProblems.Header(request, "If-None-Match");
        if (ifMatch is not null && ifNoneMatch is not null)
        {
            return await HttpProblems.BadRequestAsync(request, "send If-Match to replace or If-None-Match: * to create, not both", cancellationToken).ConfigureAwait(false);
        }

        if (ifNoneMatch is not null && ifNoneMatch.Trim() != "*")
        {
            return await HttpProblems.BadRequestAsync(request, "If-None-Match supports only '*' (create)", cancellationToken).ConfigureAwait(false);
        }

        RulePrecondition precondition;
        if (ifNoneMatch is not null)
        {
            precondition = RulePrecondition.Create;
        }
        else if (UsableETag(ifMatch) is { } etag)
        {
            precondition = RulePrecondition.Match(etag);
        }
        else
        {
            return await PreconditionRequiredAsync(request, "If-Match with the ETag from GET, or If-None-Match: * to create", cancellationToken).ConfigureAwait(false);
        }

        RuleMode? mode = null;
        if (request.Query["mode"] is { } modeText)
        {
            if (!RuleModes.TryParse(modeText, out var parsed))
            {
                return await HttpProblems.BadRequestAsync(request, "mode must be enforce or dry-run", cancellationToken).ConfigureAwait(false);
            }

            mode = parsed;
        }

        var body = await HttpProblems.ReadBodyAsync(request, MaxRuleBytes, cancellationToken).ConfigureAwait(false);
        if (body is null)
        {
            return await HttpProblems.TooLargeAsync(request, MaxRuleBytes, cancellationToken).ConfigureAwait(false);
        }

        var result = await manager.PutAsync(pack, id, Text(body), mode, precondition, HttpProblems.Who(request), cancellationToken).ConfigureAwait(false);
        return await ChangeResponseAsync(request, result, pack, id, cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>DELETE rules/{pack}/{id}</c> with <c>If-Match</c>: 204, or 412 when the rule changed since it was read.</summary>
    [Function("DeleteRule")]
    public async Task<HttpResponseData> DeleteAsync(
        [HttpTrigger(AuthorizationLevel.Admin, "delete", Route = "rules/{pack}/{id}")] HttpRequestData request,
        string pack, string id, CancellationToken cancellationToken)
    {
        if (UsableETag(HttpProblems.Header(request, "If-Match")) is not { } etag)
        {
            return await PreconditionRequiredAsync(request, "If-Match with the ETag from GET", cancellationToken).ConfigureAwait(false);
        }

        var result = await manager.DeleteAsync(pack, id, etag, HttpProblems.Who(request), cancellationToken).ConfigureAwait(false);
        return await ChangeResponseAsync(request, result, pack, id, cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>POST rules/{pack}/{id}/enable</c>, <c>If-Match</c> optional: switches the rule on.</summary>
    [Function("EnableRule")]
    public Task<HttpResponseData> EnableAsync(
        [HttpTrigger(AuthorizationLevel.Admin, "post", Route = "rules/{pack}/{id}/enable")] HttpRequestData request,
        string pack, string id, CancellationToken cancellationToken)
        => SetEnabledAsync(request, pack, id, true, cancellationToken);

    /// <summary><c>POST rules/{pack}/{id}/disable</c>, <c>If-Match</c> optional: switches the rule off.</summary>
    [Function("DisableRule")]
    public Task<HttpResponseData> DisableAsync(
        [HttpTrigger(AuthorizationLevel.Admin, "post", Route = "rules/{pack}/{id}/disable")] HttpRequestData request,
        string pack, string id, CancellationToken cancellationToken)
        => SetEnabledAsync(request, pack, id, false, cancellationToken);

    private async Task<HttpResponseData> SetEnabledAsync(HttpRequestData request, string pack, string id, bool enabled, CancellationToken cancellationToken)
    {
        var ifMatch = HttpProblems.Header(request, "If-Match");
        var etag = UsableETag(ifMatch);
        if (ifMatch is not null && etag is null)
        {
            return await PreconditionRequiredAsync(request, "If-Match, when sent, must be the ETag from GET", cancellationToken).ConfigureAwait(false);
        }

        var result = await manager.SetEnabledAsync(pack, id, enabled, etag, HttpProblems.Who(request), cancellationToken).ConfigureAwait(false);
        return await ChangeResponseAsync(request, result, pack, id, cancellationToken).ConfigureAwait(false);
    }

    private async Task<HttpResponseData> ChangeResponseAsync(HttpRequestData request, RuleChangeResult result, string pack, string id, CancellationToken cancellationToken)
    {
        if (result.Status == RuleChangeStatus.Changed)
        {
            LogRuleChanged(result.Action!.Value.ToText(), SafeText.Log(pack), SafeText.Log(id), SafeText.Log(HttpProblems.Who(request)));
        }

        switch (result.Status)
        {
            case RuleChangeStatus.Changed when result.Action == RuleChangeAction.Delete:
                return request.CreateResponse(HttpStatusCode.NoContent);
            case RuleChangeStatus.Changed or RuleChangeStatus.Unchanged:
                var status = result.Action == RuleChangeAction.Create ? HttpStatusCode.Created : HttpStatusCode.OK;
                var response = await HttpProblems.JsonAsync(request, status, RuleView.Of(result.Rule!, withYaml: true), cancellationToken, result.Rule!.ETag).ConfigureAwait(false);
                if (status == HttpStatusCode.Created)
                {
                    response.Headers.TryAddWithoutValidation("Location", $"rules/{Uri.EscapeDataString(pack)}/{Uri.EscapeDataString(id)}");
                }

                return response;
            case RuleChangeStatus.Invalid:
                return await HttpProblems.InvalidRuleAsync(request, result.Problems ?? [], cancellationToken).ConfigureAwait(false);
            case RuleChangeStatus.BadKey:
                return await HttpProblems.BadRequestAsync(request, result.Detail ?? "bad pack or id", cancellationToken).ConfigureAwait(false);
            case RuleChangeStatus.NotFound:
                return await HttpProblems.NotFoundAsync(request, pack, id, cancellationToken).ConfigureAwait(false);
            case RuleChangeStatus.AlreadyExists:
                return await HttpProblems.ProblemAsync(request, HttpStatusCode.PreconditionFailed, "rule-exists", "The rule already exists",
                    $"rule {pack}/{id} already exists; GET it and send If-Match to replace it", cancellationToken).ConfigureAwait(false);
            default:
                return await HttpProblems.ProblemAsync(request, HttpStatusCode.PreconditionFailed, "stale-etag", "The rule changed since it was read",
                    $"rule {pack}/{id} changed since it was read; GET it again, merge, and retry with its new ETag", cancellationToken).ConfigureAwait(false);
        }
    }

    private static Task<HttpResponseData> PreconditionRequiredAsync(HttpRequestData request, string what, CancellationToken cancellationToken)
        => HttpProblems.ProblemAsync(request, (HttpStatusCode)428, "precondition-required", "A precondition is required",
            $"rule writes need {what}; '*' as If-Match is refused because it would overwrite whatever is stored", cancellationToken);

    /// <summary>An If-Match value that names one version: not absent, empty or the wildcard.</summary>
    private static string? UsableETag(string? ifMatch)
    {
        var trimmed = ifMatch?.Trim();
        return string.IsNullOrEmpty(trimmed) || trimmed == "*" ? null : trimmed;
    }

    // Strict decoding would turn a stray byte into a 500; a replacement character is reported by the compiler instead.
    private static string Text(byte[] body)
    {
        var text = Encoding.UTF8.GetString(body);
        return text.Length > 0 && text[0] == '\uFEFF' ? text[1..] : text;
    }

    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "Rule {Pack}/{Id}: {Action} by {Who}")]
    private partial void LogRuleChanged(string action, string pack, string id, string who);
}
