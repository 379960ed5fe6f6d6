/** Adjustment bodies as Engage sends them (values from the seed document), for the adjustment and webhook tests. */
export const automation = (contactId: string, amount = 40) => ({
  contactId,
  definitionId: 1,
  amount,
  description: 'Points awarded',
  source: 'Automation',
  reason: 'Voyado',
  processId: 'd6342090-7410-4c00-aa4b-dbd394dac7e6',
  workflowId: '44931e65-e188-46c4-92bd-50e4818fece2',
  workflowName: 'Birthday',
});

export const manual = (contactId: string, amount = 15) => ({
  contactId,
  definitionId: 1,
  amount,
  description: 'Give points from Engage',
  source: 'Manual',
  userId: 'c23f28cb-d62d-42cf-9d11-b919198409ea',
  userName: 'Jimmy User',
});
