// Azure Monitor alert rules on the pipeline's own health. The log rules read the app's traces in the
// workspace; their texts are the messages of TelemetryPipeline (1001), AlertResponder (4002) and
// EventHubBatchProcessor (5002).

@description('Azure region of the log alert rules.')
param location string

@description('Prefix of every resource name.')
param namePrefix string

param eventHubsNamespaceId string
param appInsightsId string

@description('Email that receives the alerts; empty for none (the alerts still show in Azure Monitor).')
param notifyEmail string

@description('Dead letters per 15 minutes above which the dead-letter alert fires.')
@minValue(1)
param deadLetterThreshold int

param tags object

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(notifyEmail)) {
  name: '${namePrefix}-ag'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'alertpipe'
    enabled: true
    emailReceivers: [
      {
        name: 'operators'
        emailAddress: notifyEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

var actions = empty(notifyEmail)
  ? []
  : [
      {
        actionGroupId: actionGroup.id
      }
    ]

// No telemetry at all: the sandboxes and the firewall send nothing to the namespace for 15 minutes.
resource noTelemetry 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: '${namePrefix}-no-telemetry'
  location: 'global'
  tags: tags
  properties: {
    description: 'No event reached the Event Hubs namespace in 15 minutes: the senders or the firewall diagnostic setting stopped.'
    severity: 1
    enabled: true
    scopes: [
      eventHubsNamespaceId
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          name: 'incoming'
          criterionType: 'StaticThresholdCriterion'
          metricName: 'IncomingMessages'
          metricNamespace: 'Microsoft.EventHub/namespaces'
          operator: 'LessThan'
          threshold: 1
          timeAggregation: 'Total'
        }
      ]
    }
    actions: actions
  }
}

// Processing lag: events keep arriving but none is read; the backlog (and the delay to an alert) grows.
resource processingLag 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: '${namePrefix}-processing-lag'
  location: 'global'
  tags: tags
  properties: {
    description: 'Events arrive but none was read in 15 minutes: the Function App is stopped, failing or cannot reach the hubs.'
    severity: 1
    enabled: true
    scopes: [
      eventHubsNamespaceId
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          name: 'incoming'
          criterionType: 'StaticThresholdCriterion'
          metricName: 'IncomingMessages'
          metricNamespace: 'Microsoft.EventHub/namespaces'
          operator: 'GreaterThan'
          threshold: 0
          timeAggregation: 'Total'
        }
        {
          name: 'outgoing'
          criterionType: 'StaticThresholdCriterion'
          metricName: 'OutgoingMessages'
          metricNamespace: 'Microsoft.EventHub/namespaces'
          operator: 'LessThan'
          threshold: 1
          timeAggregation: 'Total'
        }
      ]
    }
    actions: actions
  }
}

var logRules = [
  {
    name: 'dead-letters'
    description: 'More records than the threshold were rejected to Table deadletters in 15 minutes (a sender changed format, or someone is feeding the pipeline garbage).'
    severity: 2
    query: 'traces | where message has "rejected to dead letters" | parse message with rejected:long " records rejected" * | summarize total = sum(rejected)'
    metricColumn: 'total'
    threshold: deadLetterThreshold - 1
  }
  {
    name: 'notification-failures'
    description: 'A notification channel (email, Teams, shutdown queue) failed; the alert records the failure.'
    severity: 1
    query: 'traces | where message has "channel" and message has "failed (attempt" | summarize total = count()'
    metricColumn: 'total'
    threshold: 0
  }
  {
    name: 'batch-failures'
    description: 'Event Hub batches failed and are being retried by the host.'
    severity: 2
    query: 'traces | where message has "failed; the host retries it" | summarize total = count()'
    metricColumn: 'total'
    threshold: 0
  }
]

resource logAlerts 'Microsoft.Insights/scheduledQueryRules@2023-03-15-preview' = [
  for rule in logRules: {
    name: '${namePrefix}-${rule.name}'
    location: location
    tags: tags
    properties: {
      description: rule.description
      severity: rule.severity
      enabled: true
      scopes: [
        appInsightsId
      ]
      evaluationFrequency: 'PT5M'
      windowSize: 'PT15M'
      criteria: {
        allOf: [
          {
            query: rule.query
            timeAggregation: 'Total'
            metricMeasureColumn: rule.metricColumn
            operator: 'GreaterThan'
            threshold: rule.threshold
            failingPeriods: {
              numberOfEvaluationPeriods: 1
              minFailingPeriodsToAlert: 1
            }
          }
        ]
      }
      actions: {
        actionGroups: empty(notifyEmail) ? [] : [actionGroup.id]
      }
    }
  }
]
