using System.Web;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Approvals;
using AlertPipeline.Functions.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;

namespace AlertPipeline.Functions.Functions;

/// <summary>
/// The targets of the signed links in cards and emails: <c>actions/{alertId}/{action}?exp&amp;nonce&amp;to&amp;kid&amp;sig</c>.
/// GET shows a confirmation page and changes nothing (mail scanners and link previews prefetch GETs); POST acts.
/// The level is Anonymous on purpose and only because the link's HMAC signature is the credential: it names the
/// alert and action, expires, works once, and is checked before anything is read or changed. See docs/approvals.md.
/// </summary>
public sealed class ActionFunctions(AlertActionHandler handler)
{
    /// <summary>The route of both functions.</summary>
    public const string Route = ActionLink.RoutePrefix + "/{alertId}/{action}";

    /// <summary><c>GET actions/{alertId}/{action}</c>: the confirmation page, or why the link cannot be used.</summary>
    [Function("ShowAlertAction")]
    public async Task<HttpResponseData> ShowAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Route)] HttpRequestData request,
        string alertId, string action, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (link, refusal) = Read(request, alertId, action);
        var result = refusal ?? await handler.CheckAsync(link!, cancellationToken).ConfigureAwait(false);
        return await RespondAsync(request, result, link, cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>POST actions/{alertId}/{action}</c>: carries the action out, once.</summary>
    [Function("TakeAlertAction")]
    public async Task<HttpResponseData> TakeAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = Route)] HttpRequestData request,
        string alertId, string action, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (link, refusal) = Read(request, alertId, action);
        var result = refusal ?? await handler.ExecuteAsync(link!, cancellationToken).ConfigureAwait(false);
        return await RespondAsync(request, result, link, cancellationToken).ConfigureAwait(false);
    }

    private static (ActionLink? Link, ActionLinkResult? Refusal) Read(HttpRequestData request, string alertId, string action)
    {
        var query = HttpUtility.ParseQueryString(request.Url.Query);
        var link = ActionLink.TryRead(alertId, action, name => query[name], out var reason);
        return link is null
            ? (null, new ActionLinkResult(ActionLinkStatus.Forbidden, $"This link is not valid: {reason}."))
            : (link, null);
    }

    private static Task<HttpResponseData> RespondAsync(HttpRequestData request, ActionLinkResult result, ActionLink? link, CancellationToken cancellationToken)
        => ActionPages.WriteAsync(request, ActionPages.StatusCodeOf(result.Status),
            ActionPages.Render(result, link?.Action, request.Url.PathAndQuery), cancellationToken);
}
