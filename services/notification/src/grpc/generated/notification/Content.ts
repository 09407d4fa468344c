// Original file: proto/notification.proto


export interface Content {
  'subject'?: (string);
  'body'?: (string);
  'is_html'?: (boolean);
  'html_body'?: (string);
}

export interface Content__Output {
  'subject': (string);
  'body': (string);
  'is_html': (boolean);
  'html_body': (string);
}
