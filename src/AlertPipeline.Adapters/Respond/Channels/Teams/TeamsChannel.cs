using System.Text;
using AlertPipeline.Adapters.Respond.Channels.SendGrid;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Approvals;
using AlertPipeline.Core.Respond.Channels;
using AlertPipeline.Core.Respond.Incidents;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AlertPipeline.Adapters.Respond.Channels.Teams;

/// <summary>
/// The <c>teams</c> channel: posts an Adaptive Card to a Teams Workflows webhook. Delivery problems come back as
/// <see cref="ChannelResult.Failed"/>; no webhook URL is <see cref="ChannelResult.Skipped"/>. The webhook URL is a
/// secret (its query string is the signature): it is never logged, and it is cut out of any error text.
/// </summary>
public sealed partial class TeamsChannel : INotificationChannel
{
    /// <summary>Name of the <see cref="IHttpClientFactory"/> client the channel uses.</summary>
    public const string HttpClientName = "AlertPipeline.Teams";

    private readonly Func<HttpClient> _httpClient;
    private readonly TeamsChannelOptions _options;
    private readonly ILogger _logger;

    /// <summary>A channel taking its HTTP client from <paramref name="httpClients"/> (named <see cref="HttpClientName"/>).</summary>
    public TeamsChannel(IHttpClientFactory httpClients, TeamsChannelOptions options, ILogger<TeamsChannel>? logger = null)
        : this(() => httpClients.CreateClient(HttpClientName), options, logger)
    {
        ArgumentNullException.ThrowIfNull(httpClients);
    }

    /// <summary>A channel posting through <paramref name="httpClient"/> (tests, or a caller owning the client).</summary>
    public TeamsChannel(HttpClient httpClient, TeamsChannelOptions options, ILogger<TeamsChannel>? logger = null)
        : this(() => httpClient, options, logger)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
    }

    private TeamsChannel(Func<HttpClient> httpClient, TeamsChannelOptions options, ILogger? logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _httpClient = httpClient;
        _options = options;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <inheritdoc />
    public string Name => "teams";

    /// <summary>Signs the card's Acknowledge / Approve / Dismiss links; without it the card says links are off.</summary>
    public ActionLinkIssuer? Links { get; init; }

    /// <summary>The incidents, so the card says which incident the alert belongs to and why it was sent.</summary>
    public IIncidentStore? Incidents { get; init; }

    /// <summary>Who the card's links are recorded as sent to: anyone in the channel can use them.</summary>
    public const string LinkRecipient = "Teams channel";

    /// <inheritdoc />
    public async Task<ChannelResult> SendAsync(Alert alert, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alert);
        if (!_options.IsConfigured)
        {
            return ChannelResult.Skipped("teams not configured");
        }

        if (!Uri.TryCreate(_options.WebhookUrl, UriKind.Absolute, out var webhook) || webhook.Scheme is not ("https" or "http"))
        {
            return ChannelResult.Skipped("teams webhook URL is not an http(s) URL");
        }

        var incident = Incidents is null || alert.IncidentId is null ? null : await Incidents.GetAsync(alert.IncidentId, cancellationToken).ConfigureAwait(false);
        var payload = AdaptiveCardBuilder.Build(alert, _options.RunbookBaseUrl, Links?.For(alert, LinkRecipient), incident);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.Timeout);
        ChannelResult result;
        try
        {
            using var content = new StringContent(payload, Encoding.UTF8, "application/json");
            using var response = await _httpClient().PostAsync(webhook, content, timeout.Token).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                // Workflows answers 202: accepted for the flow to post, which it does asynchronously.
                result = ChannelResult.Sent($"HTTP {status}");
            }
            else
            {
                // 400 (card rejected), 401/403/404 (flow deleted or URL revoked), 413 (too large) are not retryable.
                result = ChannelHttp.Failure(status, response.Headers);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Our timeout or HttpClient.Timeout, not the caller giving up.
            result = ChannelHttp.TimedOut(_options.Timeout);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            result = ChannelResult.Failed($"{ex.GetType().Name}: {SafeText.Log(Redact(ex.Message, webhook))} (retryable)");
        }

        LogOutcome(_logger, SafeText.Log(alert.AlertId), result.Status, result.Detail);
        return result;
    }

    // Exception texts may quote the request URI; keep at most scheme, host and port.
    private static string Redact(string message, Uri webhook)
    {
        var redacted = message.Replace(webhook.OriginalString, "<webhook>", StringComparison.OrdinalIgnoreCase)
            .Replace(webhook.AbsoluteUri, "<webhook>", StringComparison.OrdinalIgnoreCase);
        if (webhook.PathAndQuery.Length > 1)
        {
            redacted = redacted.Replace(webhook.PathAndQuery, "/<redacted>", StringComparison.OrdinalIgnoreCase);
        }

        return redacted;
    }

    [LoggerMessage(EventId = 6201, Level = LogLevel.Debug, Message = "Teams card for alert {AlertId}: {Status} {Detail}")]
    private static partial void LogOutcome(ILogger logger, string alertId, ActionStatus status, string? detail);
}
