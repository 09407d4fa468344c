// Original file: proto/notification.proto


export interface Recipient {
  'type'?: (string);
  'address'?: (string);
  'name'?: (string);
}

export interface Recipient__Output {
  'type': (string);
  'address': (string);
  'name': (string);
}
