using System.Net;
using System.Text;
using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Approvals;
using Microsoft.Azure.Functions.Worker.Http;

namespace AlertPipeline.Functions.Http;

/// <summary>
/// The small HTML pages of the action links: the confirmation (GET, with a POST button) and the outcome. Every alert
/// value is cleaned and HTML-encoded; the page loads nothing and runs no script (its Content-Security-Policy says so),
/// and sends no referrer, since its own URL is a credential.
/// </summary>
public static class ActionPages
{
    /// <summary>The policy of every page: no script, no external resource, forms only back to this app, no framing.</summary>
    public const string ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    /// <summary>The status code of <paramref name="status"/>.</summary>
    public static HttpStatusCode StatusCodeOf(ActionLinkStatus status) => status switch
    {
        ActionLinkStatus.Ready or ActionLinkStatus.Done => HttpStatusCode.OK,
        ActionLinkStatus.Forbidden => HttpStatusCode.Forbidden,
        ActionLinkStatus.Gone => HttpStatusCode.Gone,
        ActionLinkStatus.NotFound => HttpStatusCode.NotFound,
        ActionLinkStatus.Conflict => HttpStatusCode.Conflict,
        _ => HttpStatusCode.ServiceUnavailable,
    };

    /// <summary>The page for <paramref name="result"/>; <paramref name="postTarget"/> (path and query) is where the confirm button posts.</summary>
    public static string Render(ActionLinkResult result, AlertAction? action, string postTarget)
    {
        ArgumentNullException.ThrowIfNull(result);
        var heading = action switch
        {
            AlertAction.Acknowledge => "Acknowledge alert",
            AlertAction.Approve => "Approve shutdown",
            AlertAction.Dismiss => "Dismiss alert",
            _ => "Alert action",
        };
        var h = new StringBuilder(2048);
        h.Append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><meta name=\"robots\" content=\"noindex\"><title>AlertPipeline: ")
            .Append(heading).Append("</title></head>\n<body style=\"font-family:Segoe UI,Arial,sans-serif;font-size:14px;max-width:40em;margin:2em auto\">\n");
        h.Append("<h2>").Append(heading).Append("</h2>\n");
        if (result.Alert is { } alert)
        {
            h.Append("<table cellpadding=\"4\">\n");
            Row(h, "Alert", SafeText.Clean(alert.Title, 200));
            Row(h, "Level", alert.Level.ToSigma());
            Row(h, "Sandbox", SafeText.Clean(alert.SandboxId, 128));
            Row(h, "Status", alert.Status.ToString().ToLowerInvariant() + (alert.StatusBy is null ? string.Empty : " by " + SafeText.Clean(alert.StatusBy, 128)));
            if (alert.ActionFor("shutdown") is { } shutdown)
            {
                Row(h, "Shutdown", $"{shutdown.Status.ToString().ToLowerInvariant()}: {SafeText.Clean(shutdown.Detail, 300)}");
            }

            Row(h, "Alert id", SafeText.Clean(alert.AlertId, 128));
            if (result.Link is { Recipient.Length: > 0 } link)
            {
                Row(h, "Link sent to", SafeText.Clean(link.Recipient, 128));
            }

            h.Append("</table>\n");
        }

        h.Append("<p>").Append(WebUtility.HtmlEncode(SafeText.Clean(result.Message, 600))).Append("</p>\n");
        if (result.Status == ActionLinkStatus.Ready)
        {
            // Only a POST acts: mail scanners and link previews fetch GETs.
            h.Append("<form method=\"post\" action=\"").Append(WebUtility.HtmlEncode(postTarget)).Append("\">")
                .Append("<button type=\"submit\" style=\"padding:8px 18px;font-size:14px\">").Append(heading).Append("</button></form>\n");
        }

        h.Append("</body></html>\n");
        return h.ToString();
    }

    /// <summary>Writes <paramref name="html"/> as the response with <paramref name="status"/> and the page's security headers.</summary>
    public static async Task<HttpResponseData> WriteAsync(HttpRequestData request, HttpStatusCode status, string html, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var response = request.CreateResponse(status);
        response.Headers.TryAddWithoutValidation("Content-Type", "text/html; charset=utf-8");
        response.Headers.TryAddWithoutValidation("Cache-Control", "no-store");
        response.Headers.TryAddWithoutValidation("Referrer-Policy", "no-referrer");
        response.Headers.TryAddWithoutValidation("X-Content-Type-Options", "nosniff");
        response.Headers.TryAddWithoutValidation("X-Frame-Options", "DENY");
        response.Headers.TryAddWithoutValidation("Content-Security-Policy", ContentSecurityPolicy);
        await response.Body.WriteAsync(Encoding.UTF8.GetBytes(html), cancellationToken).ConfigureAwait(false);
        return response;
    }

    private static void Row(StringBuilder h, string label, string value)
        => h.Append("<tr><th align=\"left\">").Append(label).Append("</th><td>").Append(WebUtility.HtmlEncode(value)).Append("</td></tr>\n");
}
