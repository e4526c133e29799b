using System.Text.Json;
using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Enrich;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Approvals;
using AlertPipeline.Core.Respond.Channels;
using AlertPipeline.Core.Respond.Incidents;
using AlertPipeline.Core.Respond.Policy;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using global::SendGrid;
using global::SendGrid.Helpers.Mail;

namespace AlertPipeline.Adapters.Respond.Channels.SendGrid;

/// <summary>
/// The <c>email</c> channel: sends the alert through SendGrid's v3 Mail Send API. Delivery problems come back as
/// <see cref="ChannelResult.Failed"/> (the responder retries them); a missing key, sender or recipient list is
/// <see cref="ChannelResult.Skipped"/>. The API key is never logged nor put in a result.
/// </summary>
public sealed partial class SendGridChannel : INotificationChannel
{
    /// <summary>Name of the <see cref="IHttpClientFactory"/> client the channel uses.</summary>
    public const string HttpClientName = "AlertPipeline.SendGrid";

    /// <summary>Custom argument and header that carry the alert id, so a delivery event can be traced back.</summary>
    public const string AlertIdArg = "alert_id";

    /// <summary>Custom argument with the send's idempotency key (alert id and channel), the same on every attempt.</summary>
    public const string IdempotencyKeyArg = "idempotency_key";

    /// <summary>Mail header with the alert id.</summary>
    public const string AlertIdHeader = "X-AlertPipeline-Alert-Id";

    private readonly Func<HttpClient> _httpClient;
    private readonly SendGridChannelOptions _options;
    private readonly ILogger _logger;

    /// <summary>A channel taking its HTTP client from <paramref name="httpClients"/> (named <see cref="HttpClientName"/>).</summary>
    public SendGridChannel(IHttpClientFactory httpClients, SendGridChannelOptions options, ILogger<SendGridChannel>? logger = null)
        : this(() => httpClients.CreateClient(HttpClientName), options, logger)
    {
        ArgumentNullException.ThrowIfNull(httpClients);
    }

    /// <summary>A channel sending through <paramref name="httpClient"/> (tests, or a caller owning the client).</summary>
    public SendGridChannel(HttpClient httpClient, SendGridChannelOptions options, ILogger<SendGridChannel>? logger = null)
        : this(() => httpClient, options, logger)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
    }

    private SendGridChannel(Func<HttpClient> httpClient, SendGridChannelOptions options, ILogger? logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _httpClient = httpClient;
        _options = options;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <inheritdoc />
    public string Name => "email";

    /// <summary>The inventory the sandbox owner's address comes from (added to the recipients); none when null.</summary>
    public SandboxSnapshotProvider? Owners { get; init; }

    /// <summary>The response policy giving recipients and template per alert; the configured ones when null or when it names none.</summary>
    public ResponsePolicyProvider? Policies { get; init; }

    /// <summary>Signs the mail's Acknowledge / Approve / Dismiss links (recorded as sent to the recipient list); none when null.</summary>
    public ActionLinkIssuer? Links { get; init; }

    /// <summary>The incidents, so the email says which incident the alert belongs to and why it was sent.</summary>
    public IIncidentStore? Incidents { get; init; }

    /// <summary>The clock of the send timeout (<see cref="SendGridChannelOptions.Timeout"/>); tests pass a fake one.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <inheritdoc />
    public async Task<ChannelResult> SendAsync(Alert alert, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alert);
        if (!_options.IsConfigured)
        {
            return ChannelResult.Skipped("email not configured");
        }

        var clientOptions = new SendGridClientOptions { ApiKey = _options.ApiKey };
        if (!string.IsNullOrWhiteSpace(_options.Host))
        {
            clientOptions.Host = _options.Host;
        }

        // A client per send is cheap: it only wraps the (factory-managed) HttpClient with the key and host.
        var client = new SendGridClient(_httpClient(), clientOptions);
        var sandbox = Owners is null ? null : (await Owners.GetAsync(cancellationToken).ConfigureAwait(false)).Find(alert.SandboxId);
        var incident = Incidents is null || alert.IncidentId is null ? null : await Incidents.GetAsync(alert.IncidentId, cancellationToken).ConfigureAwait(false);

        // Recipients follow the level the mail announces: the incident's when a combination or an earlier alert raised it,
        // as the responder and the shutdown channel resolve it.
        var decision = Policies is null ? null : (await Policies.GetAsync(cancellationToken).ConfigureAwait(false))
            .Resolve(Incident.PolicyLevel(alert, incident), alert.RuleId, sandbox?.Team, sandbox?.Environment);
        // The links name who they were sent to: the policy's recipients, or else the configured list.
        var linkRecipient = decision is { Recipients.Count: > 0 } ? string.Join(",", decision.Recipients) : _options.To;
        var message = BuildMessage(alert, _options, OwnerEmail(sandbox), decision, Links?.For(alert, linkRecipient), incident);

        using var deadline = new CancellationTokenSource(_options.Timeout, Time);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        ChannelResult result;
        try
        {
            var response = await client.SendEmailAsync(message, timeout.Token).ConfigureAwait(false);
            result = await ToResultAsync(response, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Our timeout or HttpClient.Timeout, not the caller giving up.
            result = ChannelHttp.TimedOut(_options.Timeout);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            result = ChannelResult.Failed($"{ex.GetType().Name}: {SafeText.Log(ex.Message)} (retryable)");
        }

        LogOutcome(_logger, SafeText.Log(alert.AlertId), result.Status, result.Detail);
        return result;
    }

    /// <summary>
    /// The SendGrid message for <paramref name="alert"/>: both parts, the recipients and the alert id. Recipients are the
    /// policy's (<paramref name="decision"/>) or else the configured ones, plus <paramref name="ownerEmail"/>; the template
    /// is the policy's or else the configured one. <paramref name="links"/> are the signed action links, if any;
    /// <paramref name="incident"/> the alert's incident, if any.
    /// </summary>
    public static SendGridMessage BuildMessage(Alert alert, SendGridChannelOptions options, string? ownerEmail = null, ResponseDecision? decision = null, ActionLinkSet? links = null, Incident? incident = null)
    {
        ArgumentNullException.ThrowIfNull(alert);
        ArgumentNullException.ThrowIfNull(options);

        var content = EmailBuilder.Build(alert, options.RunbookBaseUrl, links, incident);
        var alertId = SafeText.Clean(alert.AlertId, 128);
        var message = new SendGridMessage();
        message.SetFrom(new EmailAddress(options.From, string.IsNullOrWhiteSpace(options.FromName) ? null : options.FromName));
        var recipients = decision is { Recipients.Count: > 0 } ? decision.Recipients.ToList() : options.Recipients().ToList();
        if (ownerEmail is not null && !recipients.Contains(ownerEmail, StringComparer.OrdinalIgnoreCase))
        {
            recipients.Add(ownerEmail);
        }

        message.AddTos(recipients.Select(r => new EmailAddress(r)).ToList());
        // Top-level subject; SetSubject would put it on the personalization.
        message.Subject = content.Subject;
        message.AddCustomArg(AlertIdArg, alertId);

        // The same key on every attempt of one (alert, channel): the event webhook and the activity feed show a
        // duplicate (a send whose success was lost in a crash) as two messages with one key.
        message.AddCustomArg(IdempotencyKeyArg, alertId + ":email");
        message.AddHeader(AlertIdHeader, alertId);

        var templateId = decision?.TemplateId ?? options.TemplateId;
        if (string.IsNullOrWhiteSpace(templateId))
        {
            // text/plain must precede text/html in the v3 API's content array.
            message.AddContent(MimeType.Text, content.Text);
            message.AddContent(MimeType.Html, content.Html);
        }
        else
        {
            // The template renders the mail; its data is cleaned but not HTML-encoded, because Handlebars'
            // double braces encode (the template must not use triple braces).
            message.SetTemplateId(templateId);
            message.SetTemplateData(TemplateData(alert, content, options.RunbookBaseUrl, links, incident));
        }

        return message;
    }

    // The owner's address is inventory data, not telemetry, but it still goes into a mail header: only a plain address passes.
    private static string? OwnerEmail(SandboxRecord? sandbox)
    {
        var owner = sandbox?.OwnerEmail?.Trim();
        return owner is { Length: > 0 and <= 254 } && !owner.Any(char.IsControl)
            && System.Net.Mail.MailAddress.TryCreate(owner, out var address) && address.Address == owner && address.DisplayName.Length == 0
            ? owner
            : null;
    }

    private static Dictionary<string, object> TemplateData(Alert alert, EmailContent content, string? runbookBaseUrl, ActionLinkSet? links, Incident? incident)
    {
        var runbook = AlertLinks.Runbook(runbookBaseUrl, alert.RuleId);
        return new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["subject"] = content.Subject,
            ["alertId"] = SafeText.Clean(alert.AlertId, 128),
            ["title"] = SafeText.Clean(alert.Title, 200),
            ["level"] = alert.Level.ToSigma(),
            ["ruleId"] = SafeText.Clean(alert.RuleId, 128),
            ["sandboxId"] = SafeText.Clean(alert.SandboxId, 128),
            ["description"] = SafeText.Clean(alert.Description, EmailBuilder.MaxDescriptionLength),
            ["firstSeen"] = AlertLinks.Iso(alert.FirstSeen),
            ["lastSeen"] = AlertLinks.Iso(alert.LastSeen),
            ["eventCount"] = alert.EventCount,
            ["tags"] = alert.Tags.Take(EmailBuilder.MaxListItems).Select(t => SafeText.Clean(t, 64)).ToList(),
            ["evidence"] = alert.Evidence.OrderBy(e => e.Key, StringComparer.Ordinal).Take(EmailBuilder.MaxEvidenceRows)
                .Select(e => new Dictionary<string, string>(StringComparer.Ordinal)
                {
                    ["field"] = SafeText.Clean(e.Key, EmailBuilder.MaxFieldLength),
                    ["value"] = SafeText.Clean(e.Value, EmailBuilder.MaxValueLength),
                })
                .ToList(),
            ["references"] = alert.References.Take(EmailBuilder.MaxListItems)
                .Select(r => AlertLinks.TryHttpUrl(r, out var uri) ? uri.AbsoluteUri : null).OfType<string>().ToList(),
            ["runbook"] = runbook?.AbsoluteUri ?? string.Empty,

            // Our own signed URLs (no telemetry in them): a template renders them as buttons, e.g. {{#each actions}}.
            ["actions"] = (links?.Links ?? []).Select(l => new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["action"] = l.Action.ToText(),
                ["title"] = l.Title,
                ["url"] = l.Url.AbsoluteUri,
            }).ToList(),
            ["actionsNotice"] = links?.Notice ?? string.Empty,
            ["incidentId"] = incident?.IncidentId ?? string.Empty,
            ["incident"] = incident is null ? string.Empty : AlertLinks.IncidentBanner(alert, incident),
            ["text"] = content.Text,
        };
    }

    private static async Task<ChannelResult> ToResultAsync(Response response, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        if (status is >= 200 and < 300)
        {
            var messageId = ChannelHttp.Header(response.Headers, "X-Message-Id");
            return ChannelResult.Sent(messageId is null ? $"HTTP {status}" : $"HTTP {status}, X-Message-Id {SafeText.Log(messageId)}");
        }

        // 400/401/403/413 mean the key, sender identity or message is wrong: not retryable.
        var error = await ErrorMessageAsync(response.Body, cancellationToken).ConfigureAwait(false);
        return ChannelHttp.Failure(status, response.Headers, error);
    }

    // SendGrid errors look like {"errors":[{"message":"…","field":"…"}]}; the first message is enough to act on.
    private static async Task<string?> ErrorMessageAsync(HttpContent? body, CancellationToken cancellationToken)
    {
        if (body is null)
        {
            return null;
        }

        try
        {
            var text = await body.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (string.IsNullOrWhiteSpace(text) || text.Length > 64 * 1024)
            {
                return null;
            }

            using var json = JsonDocument.Parse(text);
            if (json.RootElement.ValueKind == JsonValueKind.Object
                && json.RootElement.TryGetProperty("errors", out var errors)
                && errors.ValueKind == JsonValueKind.Array
                && errors.GetArrayLength() > 0
                && errors[0].ValueKind == JsonValueKind.Object
                && errors[0].TryGetProperty("message", out var message)
                && message.ValueKind == JsonValueKind.String)
            {
                return SafeText.Clean(message.GetString(), 200);
            }

            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    [LoggerMessage(EventId = 6101, Level = LogLevel.Debug, Message = "Email for alert {AlertId}: {Status} {Detail}")]
    private static partial void LogOutcome(ILogger logger, string alertId, ActionStatus status, string? detail);
}
