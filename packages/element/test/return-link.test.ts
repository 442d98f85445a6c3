import { expect } from '@open-wc/testing';
import { signInAgainHref } from '../src/return-link.js';

const here = { href: 'https://app.example/notes/7?tab=2', origin: 'https://app.example', pathname: '/notes/7', search: '?tab=2' };

describe('the "Sign in again" link', () => {
  it('leads to the login page with the reason and this page as next=', () => {
    expect(signInAgainHref('/login', 'idle', here)).to.equal('/login?reason=idle&next=%2Fnotes%2F7%3Ftab%3D2');
    expect(signInAgainHref('/login', null, here)).to.equal('/login?next=%2Fnotes%2F7%3Ftab%3D2');
    expect(signInAgainHref('https://app.example/login?lang=de#form', 'absolute', here)).to.equal(
      '/login?lang=de&reason=absolute&next=%2Fnotes%2F7%3Ftab%3D2#form',
    );
  });

  it('keeps a reason the login URL already has, and replaces a next= it had', () => {
    expect(signInAgainHref('/login?reason=absolute&next=/x', 'idle', here)).to.equal('/login?reason=absolute&next=%2Fnotes%2F7%3Ftab%3D2');
  });

  it('leaves a login page on another origin (single sign-on) as it is', () => {
    expect(signInAgainHref('https://sso.example/login', 'idle', here)).to.equal('https://sso.example/login');
    expect(signInAgainHref('//sso.example/login', 'idle', here)).to.equal('//sso.example/login');
  });
});
