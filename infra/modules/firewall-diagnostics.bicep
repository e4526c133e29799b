// Streams an existing Azure Firewall's logs into the firewall hub. Deployed into the firewall's resource group.
// Azure Monitor names the namespace's authorization rule to show the setting's author may send there; no key is
// read or stored by this template.

@description('Name of the existing Azure Firewall (in this module\'s resource group).')
param firewallName string

@description('Resource id of the Event Hubs namespace\'s RootManageSharedAccessKey rule.')
param eventHubAuthorizationRuleId string

@description('Hub the logs go to (the pipeline\'s firewall hub).')
param firewallLogsHubName string

resource firewall 'Microsoft.Network/azureFirewalls@2024-05-01' existing = {
  name: firewallName
}

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'alertpipeline-firewall-logs'
  scope: firewall
  properties: {
    eventHubAuthorizationRuleId: eventHubAuthorizationRuleId
    eventHubName: firewallLogsHubName
    logs: [
      {
        categoryGroup: 'allLogs'
        enabled: true
      }
    ]
  }
}
